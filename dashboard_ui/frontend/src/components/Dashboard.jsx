import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Container from '@mui/material/Container';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { Suspense, lazy, useCallback, useEffect, useState } from 'react';
import { useDashboardData } from '../hooks/useDashboardData.js';
import { api } from '../lib/api.js';
import { formatClock } from '../lib/format.js';
import { CUSTOM_RANGE, getPreset } from '../lib/timeRange.js';
import { FILTER_KEYS } from '../lib/urlState.js';
import ConsumersPanel from './ConsumersPanel.jsx';
import EndpointsTable from './EndpointsTable.jsx';
import FilterBar from './FilterBar.jsx';
import { LogoutIcon, RefreshIcon } from './icons.jsx';
import Logo from './Logo.jsx';
import MetricCards from './MetricCards.jsx';
import NodesPanel from './NodesPanel.jsx';
import RangeSelector from './RangeSelector.jsx';
import { DashboardSkeleton, EmptyState, ErrorBanner } from './States.jsx';
import StatusDistribution from './StatusDistribution.jsx';
import SystemStatus from './SystemStatus.jsx';
import ThemeToggle from './ThemeToggle.jsx';

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

function TopBar({ user, mode, onToggleTheme, onLogout, updatedAt, refreshMs, refreshing, onRefresh }) {
  const tenants = user?.tenants?.length ? user.tenants.join(', ') : '';
  return (
    <AppBar position="sticky" color="inherit" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
      <Toolbar sx={{ gap: 1, minHeight: { xs: 56 } }}>
        <Logo />
        <Typography variant="h6" component="h1" sx={{ mr: 1 }}>
          Malti
        </Typography>
        <Box sx={{ flexGrow: 1 }} />
        {updatedAt && (
          <Typography
            variant="caption"
            color="text.secondary"
            data-testid="last-updated"
            title={refreshMs ? `Refreshes every ${refreshMs / 1000} s` : 'This range does not refresh by itself'}
            sx={{ whiteSpace: 'nowrap' }}
          >
            Updated {formatClock(updatedAt)}
          </Typography>
        )}
        <IconButton
          onClick={onRefresh}
          disabled={refreshing}
          aria-label="Refresh now"
          title="Refresh now"
          data-testid="refresh"
        >
          <RefreshIcon />
        </IconButton>
        <ThemeToggle mode={mode} onToggle={onToggleTheme} />
        <Box sx={{ display: { xs: 'none', md: 'block' }, textAlign: 'right', mx: 1, minWidth: 0 }}>
          <Typography variant="body2" data-testid="user-name" noWrap sx={{ maxWidth: 220 }}>
            {user?.name}
          </Typography>
          {tenants && (
            <Typography variant="caption" color="text.secondary" component="div" noWrap sx={{ maxWidth: 220 }}>
              {tenants}
            </Typography>
          )}
        </Box>
        <Button
          color="inherit"
          onClick={onLogout}
          data-testid="logout"
          startIcon={<LogoutIcon />}
          sx={{ minWidth: 0, '& .MuiButton-startIcon': { mr: { xs: 0, sm: 1 } } }}
          aria-label="Sign out"
          title="Sign out"
        >
          <Box component="span" sx={{ display: { xs: 'none', sm: 'inline' } }}>
            Sign out
          </Box>
        </Button>
      </Toolbar>
      <Box sx={{ height: 2 }}>{refreshing && <LinearProgress sx={{ height: 2 }} />}</Box>
    </AppBar>
  );
}

export default function Dashboard({
  user,
  thresholds,
  view,
  setView,
  mode,
  onToggleTheme,
  onLogout,
  onSessionExpired,
}) {
  const result = useDashboardData(view, { onSessionExpired });
  const descriptions = useServiceDescriptions();
  const { data } = result;

  const setFilter = useCallback(
    (key, value) => setView((v) => ({ ...v, filters: { ...v.filters, [key]: value ?? '' } })),
    [setView],
  );
  const clearFilters = useCallback(
    () => setView((v) => ({ ...v, filters: Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])) })),
    [setView],
  );
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

  const filtered = FILTER_KEYS.some((key) => view.filters[key]);
  const empty = data && !(data.metrics_summary?.total_requests > 0);
  const preset = getPreset(view.range);
  const rangeTitle = view.range === CUSTOM_RANGE ? 'Custom range' : preset?.title;

  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default' }}>
      <TopBar
        user={user}
        mode={mode}
        onToggleTheme={onToggleTheme}
        onLogout={onLogout}
        updatedAt={result.updatedAt}
        refreshMs={result.refreshMs}
        refreshing={result.refreshing}
        onRefresh={result.refresh}
      />
      <Container component="main" maxWidth="xl" sx={{ py: { xs: 1.5, sm: 3 }, px: { xs: 1.5, sm: 3 } }}>
        <Stack spacing={2}>
          <Paper variant="outlined" sx={{ p: { xs: 1.5, sm: 2 } }}>
            <Stack spacing={2}>
              <Box
                sx={{
                  display: 'flex',
                  flexWrap: 'wrap',
                  gap: 1,
                  alignItems: 'center',
                  justifyContent: 'space-between',
                }}
              >
                <RangeSelector view={view} onChange={(change) => setView(change)} />
                <Typography variant="body2" color="text.secondary" data-testid="range-title">
                  {rangeTitle}
                  {data?.interval ? ` · ${data.interval} buckets` : ''}
                </Typography>
              </Box>
              <FilterBar filters={view.filters} options={result.options} onChange={setFilter} onClear={clearFilters} />
            </Stack>
          </Paper>

          {result.error && <ErrorBanner message={result.error} onRetry={result.retry} />}

          {result.loading && !data && <DashboardSkeleton />}

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
                />
                <Suspense fallback={<Skeleton variant="rounded" height={380} />}>
                  <LatencyChart
                    timeSeries={data.time_series}
                    logScale={view.log}
                    onLogScaleChange={(log) => setView({ log }, { replace: true })}
                  />
                </Suspense>
              </Box>
              <EndpointsTable
                endpoints={data.endpoints}
                sort={view.sort}
                onSort={(sort) => setView({ sort }, { replace: true })}
                selected={view.filters.endpoint}
                onSelect={selectEndpoint}
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
                />
                <StatusDistribution rows={data.status_distribution} />
              </Box>
              <NodesPanel
                nodes={data.distinct_nodes}
                contexts={data.distinct_contexts}
                filters={view.filters}
                onFilter={setFilter}
              />
            </>
          )}
        </Stack>
      </Container>
    </Box>
  );
}
