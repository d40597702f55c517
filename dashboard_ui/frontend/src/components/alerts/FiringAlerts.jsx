import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Typography from '@mui/material/Typography';
import { showValue } from '../../lib/format.js';
import { alertKey } from '../../lib/alerts.js';
import { SeverityChip } from './AlertChips.jsx';

const FIRING_SHOWN = 5;

/** What alert rules fire now (null: unknown, say nothing), with a way to the Alerts page. */
export default function FiringAlerts({ firing, onOpenAlerts }) {
  if (!firing) return null;
  return (
    <Box data-testid="status-firing" data-count={firing.length} sx={{ mb: 1.5 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <Typography variant="body2" sx={{ fontWeight: 600, flexGrow: 1 }}>
          {firing.length ? `${firing.length} alert${firing.length === 1 ? '' : 's'} firing` : 'No alert firing'}
        </Typography>
        {onOpenAlerts && (
          <Button size="small" onClick={onOpenAlerts} data-testid="status-open-alerts">
            Alerts
          </Button>
        )}
      </Box>
      {firing.slice(0, FIRING_SHOWN).map((alert) => (
        <Box
          key={alertKey(alert)}
          data-testid="status-firing-alert"
          data-severity={alert.severity}
          sx={{ display: 'flex', alignItems: 'center', gap: 1, mt: 0.5 }}
        >
          <SeverityChip severity={alert.severity} />
          <Typography variant="body2" sx={{ minWidth: 0, wordBreak: 'break-word' }}>
            {alert.name}
            {alert.service ? ` · ${showValue(alert.service)}` : ''}
          </Typography>
        </Box>
      ))}
      {firing.length > FIRING_SHOWN && (
        <Typography variant="caption" color="text.secondary">
          and {firing.length - FIRING_SHOWN} more
        </Typography>
      )}
    </Box>
  );
}

function Dot({ status }) {
  const theme = useTheme();
  const color = status ? theme.palette[STATUS_COLOR[status]].main : theme.palette.text.disabled;
  return <Box component="span" sx={{ width: 10, height: 10, borderRadius: '50%', bgcolor: color, flexShrink: 0 }} />;
}
