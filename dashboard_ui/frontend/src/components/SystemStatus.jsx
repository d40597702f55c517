import Box from '@mui/material/Box';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { formatCount, formatDuration, formatPercent, showValue } from '../lib/format.js';
import { DEFAULT_THRESHOLDS, STATUS_COLOR, STATUS_LABEL, healthStatus } from '../lib/health.js';
import { formatApdex } from '../lib/objectives.js';
import FiringAlerts from './alerts/FiringAlerts.jsx';
import Panel from './Panel.jsx';

function Dot({ status }) {
  const theme = useTheme();
  const color = status ? theme.palette[STATUS_COLOR[status]].main : theme.palette.text.disabled;
  return <Box component="span" sx={{ width: 10, height: 10, borderRadius: '50%', bgcolor: color, flexShrink: 0 }} />;
}

export default function SystemStatus({
  data,
  thresholds,
  descriptions,
  selectedService,
  onSelectService,
  firing = null,
  onOpenAlerts = null,
}) {
  const theme = useTheme();
  const t = { ...DEFAULT_THRESHOLDS, ...(thresholds ?? {}) };
  const summary = data.metrics_summary ?? {};
  const overall = healthStatus(summary, t);
  const services = [...(data.system_overview?.services ?? [])].sort(
    (a, b) => (b.total_requests ?? 0) - (a.total_requests ?? 0),
  );
  const palette = overall ? theme.palette[STATUS_COLOR[overall]] : null;

  return (
    <Panel
      title="System status"
      testId="panel-status"
      subtitle="Error rate and average latency against your thresholds"
    >
      <Box
        data-testid="system-status"
        data-status={overall ?? 'none'}
        sx={{
          borderRadius: 2,
          p: 1.5,
          mb: 1.5,
          bgcolor: palette ? palette.main : 'action.hover',
          color: palette ? palette.contrastText : 'text.primary',
        }}
      >
        <Typography variant="h6" component="p">
          {overall ? STATUS_LABEL[overall] : 'No traffic'}
        </Typography>
        <Typography variant="body2" component="p">
          Error rate {formatPercent(summary.error_rate)} (warning above {formatPercent(t.error_rate_success_threshold)},
          critical above {formatPercent(t.error_rate_warning_threshold)})
        </Typography>
        <Typography variant="body2" component="p">
          Avg latency {formatDuration(summary.avg_latency)} (warning above {formatDuration(t.latency_success_threshold)}
          , critical above {formatDuration(t.latency_warning_threshold)})
        </Typography>
      </Box>
      <FiringAlerts firing={firing} onOpenAlerts={onOpenAlerts} />
      <Typography variant="caption" color="text.secondary">
        {formatCount(data.system_overview?.total_services ?? services.length)} services
      </Typography>
      <List dense disablePadding sx={{ maxHeight: 320, overflowY: 'auto' }}>
        {services.map((service) => {
          const status = healthStatus(service, t);
          return (
            <ListItemButton
              key={service.service}
              data-testid="service-status-row"
              data-status={status ?? 'none'}
              selected={selectedService === service.service}
              onClick={() => onSelectService(selectedService === service.service ? '' : service.service)}
              title={descriptions?.[service.service] || undefined}
              sx={{ borderRadius: 1, gap: 1.5, alignItems: 'center' }}
            >
              <Dot status={status} />
              <Box sx={{ minWidth: 0, flexGrow: 1 }}>
                <Typography variant="body2" sx={{ fontWeight: 600, wordBreak: 'break-all' }}>
                  {showValue(service.service)}
                </Typography>
                <Stack direction="row" spacing={1.5} sx={{ flexWrap: 'wrap' }}>
                  <Typography variant="caption" color="text.secondary">
                    {formatCount(service.total_requests)} req
                  </Typography>
                  <Typography variant="caption" color="text.secondary">
                    {formatPercent(service.error_rate)} errors
                  </Typography>
                  <Typography variant="caption" color="text.secondary">
                    avg {formatDuration(service.avg_latency)}
                  </Typography>
                  {service.p95_latency != null && (
                    <Typography variant="caption" color="text.secondary">
                      p95 {formatDuration(service.p95_latency)}
                    </Typography>
                  )}
                  {service.apdex != null && (
                    <Typography variant="caption" color="text.secondary" data-testid="service-apdex">
                      Apdex {formatApdex(service.apdex)}
                    </Typography>
                  )}
                </Stack>
              </Box>
            </ListItemButton>
          );
        })}
      </List>
    </Panel>
  );
}
