import Box from '@mui/material/Box';
import Skeleton from '@mui/material/Skeleton';
import { Suspense, lazy, useCallback, useEffect, useState } from 'react';
import { useAlertSpans } from '../hooks/useAlertSpans.js';
import { useDashboardData } from '../hooks/useDashboardData.js';
import { useFiringAlerts } from '../hooks/useFiringAlerts.js';
import { useViewFilters } from '../hooks/useViewFilters.js';
import { api } from '../lib/api.js';
import { bucketRange, openExplorer } from '../lib/explorer.js';
import { FILTER_KEYS } from '../lib/urlState.js';
import CardinalityNotice from './CardinalityNotice.jsx';
import ConsumersPanel from './ConsumersPanel.jsx';
import EndpointsTable from './EndpointsTable.jsx';
import MetricCards from './MetricCards.jsx';
import NodesPanel from './NodesPanel.jsx';
import ObjectivesPanel from './ObjectivesPanel.jsx';
import { DashboardSkeleton, EmptyState, ErrorBanner } from './States.jsx';
import StatusDistribution from './StatusDistribution.jsx';
import SystemStatus from './SystemStatus.jsx';
import PageFrame from './PageFrame.jsx';
import ViewControls from './ViewControls.jsx';

// Start fetching the chart library now, not when the first data arrives.
const chartModule = import('./LatencyChart.jsx');
const LatencyChart = lazy(() => chartModule);

function useServiceDescriptions() {
  const [descriptions, setDescriptions] = useState({});
  useEffect(() => {
    const controller = new AbortController();
    api
      .services(controller.signal)
      .then((body) =>
        setDescriptions(Object.fromEntries((body?.services ?? []).map((s) => [s.name, s.description ?? '']))),
      )
      // Descriptions are a nicety: the dashboard works without them.
      .catch(() => {});
    return () => controller.abort();
  }, []);
  return descriptions;
}

export default function Dashboard(page) {
  const { thresholds, view, setView, onSessionExpired } = page;
  const result = useDashboardData(view, { onSessionExpired });
  const descriptions = useServiceDescriptions();
  const { data } = result;
  // Alert rules firing now and their spans in the range: in the status panel and on the chart.
  const firing = useFiringAlerts(result.updatedAt);
  const alertSpans = useAlertSpans(result.range, view.filters.service, result.updatedAt);

  const { setFilter, clearFilters } = useViewFilters(setView);
  const selectEndpoint = useCallback(
    (row) =>
      setView((v) => ({
        ...v,
        filters: row
          ? { ...v.filters, endpoint: row.endpoint, service: row.service ?? v.filters.service }
          : { ...v.filters, endpoint: '' },
      })),
    [setView],
  );

  // The request explorer, opened from a chart bucket or a row with that filter added.
  const explore = useCallback((filters, explorer) => openExplorer(setView, { filters, explorer }), [setView]);
  const exploreBucket = useCallback(
    (bucket) => {
      const range = bucketRange(bucket.bucket, data?.interval, result.range);
      if (range) openExplorer(setView, { range });
    },
    [setView, data?.interval, result.range],
  );

  const filtered = FILTER_KEYS.some((key) => view.filters[key]);
  const empty = data && !(data.metrics_summary?.total_requests > 0);

  return (
    <PageFrame
      page={page}
      updatedAt={result.updatedAt}
      refreshMs={result.refreshMs}
      refreshing={result.refreshing}
      onRefresh={result.refresh}
    >
      <ViewControls
        view={view}
        setView={setView}
        options={result.options}
        onFilter={setFilter}
        onClear={clearFilters}
        detail={data?.interval ? ` · ${data.interval} buckets` : ''}
      />

      {result.error && <ErrorBanner message={result.error} onRetry={result.retry} />}

      {result.loading && !data && <DashboardSkeleton />}

      {/* Limits hit in the last day, whatever the range: the tables of any range may show "(other)". */}
      {data && <CardinalityNotice limits={data.cardinality_limits} user={page.user} />}

      {empty && (
        <EmptyState
          filtered={filtered}
          onClearFilters={clearFilters}
          onWiden={['1h', '6h', '24h'].includes(view.range) ? () => setView({ range: '7d' }) : null}
        />
      )}

      {data && !empty && (
        <>
          <MetricCards data={data} thresholds={thresholds} />
          <Box
            sx={{
              display: 'grid',
              gap: 2,
              gridTemplateColumns: { xs: 'minmax(0, 1fr)', lg: 'minmax(0, 1fr) minmax(0, 2fr)' },
            }}
          >
            <SystemStatus
              data={data}
              thresholds={thresholds}
              descriptions={descriptions}
              selectedService={view.filters.service}
              onSelectService={(name) => setFilter('service', name)}
              firing={firing}
              onOpenAlerts={() => setView({ page: 'alerts' })}
            />
            <Suspense fallback={<Skeleton variant="rounded" height={380} />}>
              <LatencyChart
                timeSeries={data.time_series}
                logScale={view.log}
                onLogScaleChange={(log) => setView({ log }, { replace: true })}
                alertSpans={alertSpans}
                onSelectBucket={exploreBucket}
              />
            </Suspense>
          </Box>
          <EndpointsTable
            endpoints={data.endpoints}
            sort={view.sort}
            onSort={(sort) => setView({ sort }, { replace: true })}
            selected={view.filters.endpoint}
            onSelect={selectEndpoint}
            onExplore={(row) => explore({ service: row.service, method: row.method, endpoint: row.endpoint })}
            thresholds={thresholds}
          />
          <Box
            sx={{
              display: 'grid',
              gap: 2,
              gridTemplateColumns: { xs: 'minmax(0, 1fr)', md: 'repeat(2, minmax(0, 1fr))' },
            }}
          >
            <ConsumersPanel
              consumers={data.consumers}
              selected={view.filters.consumer}
              onSelect={(name) => setFilter('consumer', name)}
              onExplore={(consumer) => explore({ consumer })}
            />
            <StatusDistribution
              rows={data.status_distribution}
              onExplore={(service, status) => explore({ service }, { status: String(status) })}
            />
          </Box>
          <NodesPanel
            nodes={data.distinct_nodes}
            contexts={data.distinct_contexts}
            filters={view.filters}
            onFilter={setFilter}
            onExplore={(key, value) => explore({ [key]: value })}
          />
          <ObjectivesPanel />
        </>
      )}
    </PageFrame>
  );
}
