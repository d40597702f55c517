import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import Typography from '@mui/material/Typography';
import { formatWhen } from '../../lib/alerts.js';
import { showValue } from '../../lib/format.js';
import ListPanel from './ListPanel.jsx';

/** Whole services muted until a time (maintenance, a known outage): none of their rules notify. */
export default function ServiceMutesPanel({ silences, editable, onCreate, onDelete }) {
  return (
    <ListPanel
      title="Muted services"
      subtitle="No rule of a muted service notifies anyone until the time"
      testId="silences"
      create={editable && { label: 'Mute a service', onClick: onCreate }}
      empty={silences.length === 0}
      emptyText="No service is muted."
    >
      <List dense disablePadding>
        {silences.map((silence) => (
          <ListItem key={silence.id} disableGutters data-testid="silence-row" sx={{ gap: 1 }}>
            <Box sx={{ flexGrow: 1, minWidth: 0 }}>
              <Typography variant="body2" sx={{ fontWeight: 600 }}>
                {showValue(silence.service)}
              </Typography>
              <Typography variant="caption" color="text.secondary">
                until {formatWhen(silence.until)}
                {silence.reason ? `: ${silence.reason}` : ''}
              </Typography>
            </Box>
            {editable && (
              <Button
                size="small"
                onClick={() => onDelete(silence)}
                data-testid="silence-delete"
                aria-label={`Unmute service ${silence.service}`}
              >
                Unmute
              </Button>
            )}
          </ListItem>
        ))}
      </List>
    </ListPanel>
  );
}
