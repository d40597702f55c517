// Loaded lazily: Recharts is the biggest dependency and the login page needs none of it.
import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Switch from '@mui/material/Switch';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { useMemo, useState } from 'react';
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceArea,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { SEVERITY_COLOR, spansToAreas } from '../lib/alerts.js';
import { formatCompact, formatCount, formatDuration } from '../lib/format.js';
import { SERIES } from '../theme.js';
import AlertSpanList from './alerts/AlertSpanList.jsx';
import Panel from './Panel.jsx';

const LINES = [
  { key: 'max_latency', name: 'max', color: SERIES.max, dash: '4 3' },
  { key: 'p99_latency', name: 'p99', color: SERIES.p99 },
  { key: 'p95_latency', name: 'p95', color: SERIES.p95 },
  { key: 'p50_latency', name: 'p50', color: SERIES.p50 },
  { key: 'avg_latency', name: 'avg', color: SERIES.avg, width: 2.5 },
  { key: 'min_latency', name: 'min', color: SERIES.min, dash: '4 3' },
];

const HOUR = 3_600_000;
const NO_SPANS = [];

function tickFormatter(spanMs) {
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
  const dayTime = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
  const fmt = spanMs <= 26 * HOUR ? time : spanMs <= 8 * 24 * HOUR ? dayTime : day;
  return (ms) => fmt.format(new Date(ms));
}

const fullTime = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

const PERCENTILE = /^p\d+_latency$/;

function ChartTooltip({ active, payload }) {
  if (!active || !payload?.length) return null;
  const row = payload[0].payload.raw;
  return (
    <Paper variant="outlined" sx={{ p: 1, fontSize: 12, minWidth: 160 }}>
      <Typography variant="caption" sx={{ fontWeight: 600 }} component="div">
        {fullTime.format(new Date(row.bucket))}
      </Typography>
      <div>
        {formatCount(row.total_requests)} requests, {formatCount(row.error_count)} errors
      </div>
      {LINES.map((line) => (
        <Box key={line.key} sx={{ display: 'flex', justifyContent: 'space-between', gap: 2 }}>
          <Box component="span" sx={{ color: line.color }}>
            {line.name}
          </Box>
          <span data-testid={row.percentiles_estimated && PERCENTILE.test(line.key) ? 'estimated-latency' : undefined}>
            {row.percentiles_estimated && PERCENTILE.test(line.key) ? '≈ ' : ''}
            {formatDuration(row[line.key])}
          </span>
        </Box>
      ))}
    </Paper>
  );
}

export default function LatencyChart({
  timeSeries,
  logScale,
  onLogScaleChange,
  onSelectBucket,
  alertSpans = NO_SPANS,
}) {
  const theme = useTheme();
  const [hidden, setHidden] = useState(() => new Set());

  const rows = useMemo(
    () =>
      (timeSeries ?? []).map((bucket) => {
        const row = { t: Date.parse(bucket.bucket), total_requests: bucket.total_requests, raw: bucket };
        for (const { key } of LINES) {
          const value = bucket[key];
          // A log axis cannot place 0 ms; leave such points out rather than invent a value.
          row[key] = value == null || (logScale && value <= 0) ? null : value;
        }
        return row;
      }),
    [timeSeries, logScale],
  );
  // Alerts that fired in the range, shaded behind the lines.
  const bucketTimes = useMemo(() => rows.map((row) => row.t), [rows]);
  const alertAreas = useMemo(() => spansToAreas(alertSpans, bucketTimes), [alertSpans, bucketTimes]);
  const selectBucket = (row) => {
    if (row && onSelectBucket) onSelectBucket(row.raw);
  };
  // History imported from an original Malti kept one p95 per bucket: its percentiles are estimates.
  const estimated = useMemo(() => (timeSeries ?? []).some((point) => point.percentiles_estimated), [timeSeries]);
  const spanMs = rows.length > 1 ? rows[rows.length - 1].t - rows[0].t : HOUR;
  const formatTick = useMemo(() => tickFormatter(spanMs), [spanMs]);
  const axisColor = theme.palette.text.secondary;

  const toggle = (entry) => {
    const key = entry.dataKey;
    setHidden((previous) => {
      const next = new Set(previous);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  };

  return (
    <Panel
      title="Latency over time"
      subtitle={
        'Response time percentiles (lines) and requests per bucket (bars); click a bucket to see its requests' +
        (estimated ? '. Percentiles marked ≈ are estimates from history imported from the original Malti' : '')
      }
      testId="panel-latency"
      action={
        <FormControlLabel
          control={
            <Switch
              size="small"
              checked={logScale}
              onChange={(event) => onLogScaleChange(event.target.checked)}
              slotProps={{ input: { 'data-testid': 'log-scale' } }}
            />
          }
          label="Log scale"
        />
      }
    >
      <Box sx={{ height: { xs: 260, sm: 320 }, minWidth: 0 }} data-testid="latency-chart">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart
            data={rows}
            margin={{ top: 4, right: 4, bottom: 0, left: 0 }}
            // A click on a bar opens its bucket's requests; elsewhere in the plot, the hovered
            // bucket's (a short bar is hard to hit). The legend shares the chart's box: not there.
            onClick={(state, event) => {
              const target = event?.target;
              if (!target?.closest?.('.recharts-surface') || target.closest('.recharts-bar-rectangle')) return;
              if (state?.isTooltipActive) selectBucket(rows[Number(state.activeTooltipIndex)]);
            }}
            style={{ cursor: onSelectBucket ? 'pointer' : undefined }}
          >
            <CartesianGrid strokeDasharray="3 3" stroke={theme.palette.divider} vertical={false} />
            <XAxis
              dataKey="t"
              tickFormatter={formatTick}
              minTickGap={40}
              tick={{ fill: axisColor, fontSize: 11 }}
              stroke={theme.palette.divider}
            />
            <YAxis
              yAxisId="latency"
              scale={logScale ? 'log' : 'linear'}
              domain={logScale ? ['auto', 'auto'] : [0, 'auto']}
              allowDataOverflow={logScale}
              tickFormatter={(v) => formatDuration(v).replace(' ', '')}
              tick={{ fill: axisColor, fontSize: 11 }}
              width={56}
              stroke={theme.palette.divider}
            />
            <YAxis
              yAxisId="count"
              orientation="right"
              tickFormatter={formatCompact}
              tick={{ fill: axisColor, fontSize: 11 }}
              width={40}
              stroke={theme.palette.divider}
            />
            {alertAreas.map((area) => (
              <ReferenceArea
                key={area.key}
                yAxisId="latency"
                x1={area.x1}
                x2={area.x2}
                fill={theme.palette[SEVERITY_COLOR[area.severity] ?? 'info'].main}
                fillOpacity={0.15}
                ifOverflow="hidden"
              />
            ))}
            <Tooltip content={<ChartTooltip />} />
            <Legend
              onClick={toggle}
              wrapperStyle={{ fontSize: 12, cursor: 'pointer' }}
              formatter={(value, entry) => (
                <span style={{ color: hidden.has(entry.dataKey) ? theme.palette.text.disabled : axisColor }}>
                  {value}
                </span>
              )}
            />
            <Bar
              yAxisId="count"
              dataKey="total_requests"
              name="requests"
              fill={SERIES.count}
              fillOpacity={0.35}
              hide={hidden.has('total_requests')}
              isAnimationActive={false}
              onClick={(bar, index) => selectBucket(bar?.payload ?? rows[index])}
            />
            {LINES.map((line) => (
              <Line
                key={line.key}
                yAxisId="latency"
                type="monotone"
                dataKey={line.key}
                name={line.name}
                stroke={line.color}
                strokeWidth={line.width ?? 1.5}
                strokeDasharray={line.dash}
                dot={false}
                connectNulls={false}
                hide={hidden.has(line.key)}
                isAnimationActive={false}
              />
            ))}
          </ComposedChart>
        </ResponsiveContainer>
      </Box>
      <AlertSpanList areas={alertAreas} />
    </Panel>
  );
}
