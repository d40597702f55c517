import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Skeleton from '@mui/material/Skeleton';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useEffect, useId, useState } from 'react';
import { alertsErrorText, describeCondition, formatMetricValue, formatWhen } from '../../lib/alerts.js';
import { alertsApi } from '../../lib/api.js';
import { showValue } from '../../lib/format.js';

/** A rule's transitions (ok → pending → firing → resolved), newest first, and whether each was notified. */
export default function HistoryDialog({ rule, onClose }) {
  const [state, setState] = useState({ loading: true, events: [], error: null });
  const titleId = useId();

  useEffect(() => {
    if (!rule) return undefined;
    const controller = new AbortController();
    setState({ loading: true, events: [], error: null });
    alertsApi
      .history(rule.id, controller.signal)
      .then((body) => setState({ loading: false, events: body?.events ?? [], error: null }))
      .catch((error) => {
        if (!controller.signal.aborted) setState({ loading: false, events: [], error: alertsErrorText(error) });
      });
    return () => controller.abort();
  }, [rule]);

  const events = [...state.events].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return (
    <Dialog open={Boolean(rule)} onClose={onClose} fullWidth maxWidth="md" aria-labelledby={titleId}>
      <DialogTitle id={titleId}>History of “{rule?.name}”</DialogTitle>
      <DialogContent data-testid="history-dialog">
        {rule && (
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            {describeCondition(rule)}
          </Typography>
        )}
        {state.error && <Alert severity="error">{state.error}</Alert>}
        {state.loading && <Skeleton variant="rounded" height={120} />}
        {!state.loading && !state.error && !events.length && (
          <Typography variant="body2" data-testid="history-empty">
            No transitions yet: the rule has stayed ok since it was created.
          </Typography>
        )}
        {events.length > 0 && (
          <Table size="small" aria-label="State transitions">
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Service</TableCell>
                <TableCell>From</TableCell>
                <TableCell>To</TableCell>
                <TableCell align="right">Value</TableCell>
                <TableCell>Notified</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {events.map((event) => (
                <TableRow
                  key={`${event.at}-${event.service}-${event.node}-${event.to_state}`}
                  data-testid="history-event"
                  data-to-state={event.to_state}
                >
                  <TableCell>{formatWhen(event.at)}</TableCell>
                  <TableCell>
                    {showValue(event.service)}
                    {event.node ? ` · ${showValue(event.node)}` : ''}
                  </TableCell>
                  <TableCell>{event.from_state}</TableCell>
                  <TableCell sx={{ fontWeight: 600 }}>{event.to_state}</TableCell>
                  <TableCell align="right">{formatMetricValue(rule?.metric, event.value)}</TableCell>
                  <TableCell>{event.notified ? 'yes' : event.suppressed ? `no: ${event.suppressed}` : 'no'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} data-testid="history-close">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
