import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { SEVERITY_COLOR, formatWhen } from '../../lib/alerts.js';
import { showValue } from '../../lib/format.js';

/** The alerts marked on a chart, in words: the shaded areas' key, and what a screen reader gets. */
export default function AlertSpanList({ areas }) {
  const theme = useTheme();
  if (!areas.length) return null;
  return (
    <Box
      component="ul"
      aria-label="Alerts in this range"
      data-testid="chart-alert-spans"
      sx={{ listStyle: 'none', p: 0, m: 0, mt: 1, display: 'flex', flexWrap: 'wrap', gap: 1.5 }}
    >
      {areas.map((area) => (
        <Box
          component="li"
          key={area.key}
          data-testid="chart-alert-span"
          data-severity={area.severity}
          data-open={area.end ? 'false' : 'true'}
          sx={{ display: 'flex', alignItems: 'center', gap: 0.75 }}
        >
          <Box
            component="span"
            sx={{
              width: 12,
              height: 12,
              borderRadius: 0.5,
              flexShrink: 0,
              bgcolor: theme.palette[SEVERITY_COLOR[area.severity] ?? 'info'].main,
              opacity: 0.5,
            }}
          />
          <Typography variant="caption">
            {area.name}
            {area.service ? ` (${showValue(area.service)})` : ''}: {formatWhen(area.start)} –{' '}
            {area.end ? formatWhen(area.end) : 'now'}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}
