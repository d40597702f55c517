import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { formatCount, formatDecimal, formatDuration, formatPercent } from '../lib/format.js';
import { healthStatus } from '../lib/health.js';
import { apdexRating, apdexStatus, formatApdex } from '../lib/objectives.js';
import { intervalMinutes } from '../lib/timeRange.js';
import Sparkline from './Sparkline.jsx';

function series(timeSeries, pick) {
  return (timeSeries ?? []).map(pick);
}

function latencyCard(id, title, field, summary, timeSeries) {
  return {
    id,
    title,
    value: formatDuration(summary[field]),
    spark: series(timeSeries, (b) => b[field]),
  };
}

function buildCards(data, thresholds) {
  const summary = data.metrics_summary ?? {};
  const ts = data.time_series ?? [];
  const minutes = intervalMinutes(data.interval);
  const status = (error_rate, avg_latency) =>
    healthStatus({ total_requests: summary.total_requests, error_rate, avg_latency }, thresholds);
  return [
    {
      id: 'total-requests',
      title: 'Total requests',
      value: formatCount(summary.total_requests),
      caption: `${formatCount(summary.error_count)} errors`,
      spark: series(ts, (b) => b.total_requests),
    },
    {
      id: 'requests-per-minute',
      title: 'Requests / min',
      value: formatDecimal(summary.requests_per_minute),
      caption: 'average',
      spark: series(ts, (b) => (minutes ? b.total_requests / minutes : b.total_requests)),
    },
    {
      id: 'error-rate',
      title: 'Error rate',
      value: formatPercent(summary.error_rate),
      caption: `${formatCount(summary.client_error_count)} 4xx · ${formatCount(summary.server_error_count)} 5xx`,
      spark: series(ts, (b) => (b.total_requests ? (100 * b.error_count) / b.total_requests : null)),
      status: status(summary.error_rate, null),
    },
    {
      ...latencyCard('avg-latency', 'Average latency', 'avg_latency', summary, ts),
      status: status(null, summary.avg_latency),
    },
    latencyCard('p50-latency', 'p50 latency', 'p50_latency', summary, ts),
    latencyCard('p95-latency', 'p95 latency', 'p95_latency', summary, ts),
    latencyCard('p99-latency', 'p99 latency', 'p99_latency', summary, ts),
    {
      id: 'apdex',
      title: 'Apdex',
      value: formatApdex(summary.apdex),
      caption: apdexRating(summary.apdex) ?? 'no requests',
      spark: series(ts, (b) => b.apdex),
      status: apdexStatus(summary.apdex),
    },
    latencyCard('min-latency', 'Min latency', 'min_latency', summary, ts),
    latencyCard('max-latency', 'Max latency', 'max_latency', summary, ts),
  ];
}

const STATUS_PALETTE = { healthy: 'success', warning: 'warning', critical: 'error' };

export default function MetricCards({ data, thresholds }) {
  const theme = useTheme();
  const cards = buildCards(data, thresholds);
  return (
    <Box
      data-testid="metric-cards"
      sx={{
        display: 'grid',
        gap: { xs: 1, sm: 1.5 },
        gridTemplateColumns: {
          xs: 'repeat(2, minmax(0, 1fr))',
          sm: 'repeat(5, minmax(0, 1fr))',
          md: 'repeat(5, minmax(0, 1fr))',
          lg: 'repeat(10, minmax(0, 1fr))',
        },
      }}
    >
      {cards.map((card) => {
        const palette = card.status && card.status !== 'healthy' ? theme.palette[STATUS_PALETTE[card.status]] : null;
        return (
          <Card
            key={card.id}
            data-testid={`card-${card.id}`}
            data-status={card.status ?? undefined}
            sx={{ p: 1.5, pb: 1, minWidth: 0, borderColor: palette?.main }}
          >
            <Typography variant="caption" color="text.secondary" component="h3" noWrap>
              {card.title}
            </Typography>
            <Typography
              variant="h5"
              data-testid={`card-${card.id}-value`}
              title={card.value}
              sx={{
                fontWeight: 600,
                fontVariantNumeric: 'tabular-nums',
                color: palette?.main,
                lineHeight: 1.3,
                fontSize: { xs: '1.35rem', lg: '1.3rem', xl: '1.5rem' },
              }}
              noWrap
            >
              {card.value}
            </Typography>
            <Typography variant="caption" color="text.secondary" component="div" noWrap sx={{ minHeight: 18 }}>
              {card.caption ?? '\u00a0'}
            </Typography>
            <Box sx={{ mt: 0.5, color: palette?.main ?? 'primary.main', opacity: 0.85 }}>
              <Sparkline values={card.spark} label={`${card.title} over time`} />
            </Box>
          </Card>
        );
      })}
    </Box>
  );
}
