import Box from '@mui/material/Box';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import Typography from '@mui/material/Typography';
import { STATE_COLOR, alertKey, formatMetricValue, formatWhen, sortFiring } from '../../lib/alerts.js';
import { showValue } from '../../lib/format.js';
import Panel from '../Panel.jsx';
import { SeverityChip } from './AlertChips.jsx';

/** What fires (or is pending) now, firing and worst first. `rules` gives each alert's metric, to show its value in its unit. */
export default function FiringPanel({ firing, rules }) {
  const metricOfRule = new Map(rules.map((rule) => [rule.id, rule.metric]));
  const alerts = sortFiring(firing);
  return (
    <Panel
      title="Firing now"
      subtitle="Alerts whose condition holds now: pending until it has held for the rule's time"
      testId="panel-firing"
    >
      {alerts.length === 0 ? (
        <Typography variant="body2" color="text.secondary" data-testid="firing-none">
          Nothing is firing.
        </Typography>
      ) : (
        <List dense disablePadding>
          {alerts.map((alert) => (
            <ListItem
              key={alertKey(alert)}
              data-testid="firing-alert"
              data-rule={alert.rule}
              data-state={alert.state}
              data-severity={alert.severity}
              disableGutters
              sx={{ gap: 1.5, flexWrap: 'wrap' }}
            >
              <SeverityChip severity={alert.severity} />
              <Box sx={{ minWidth: 0, flexGrow: 1 }}>
                <Typography variant="body2" sx={{ fontWeight: 600 }}>
                  {alert.name}{' '}
                  <Typography component="span" variant="caption" color={`${STATE_COLOR[alert.state]}.main`}>
                    {alert.state}
                  </Typography>
                </Typography>
                <Typography variant="caption" color="text.secondary">
                  {showValue(alert.service)}
                  {alert.node ? ` · node ${showValue(alert.node)}` : ''} · since {formatWhen(alert.since)} ·{' '}
                  {formatMetricValue(metricOfRule.get(alert.rule), alert.value)} (threshold{' '}
                  {formatMetricValue(metricOfRule.get(alert.rule), alert.threshold)})
                </Typography>
              </Box>
            </ListItem>
          ))}
        </List>
      )}
    </Panel>
  );
}
