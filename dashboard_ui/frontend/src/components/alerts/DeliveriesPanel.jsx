import Alert from '@mui/material/Alert';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import { alertsErrorText, formatWhen } from '../../lib/alerts.js';
import { alertsApi } from '../../lib/api.js';
import Panel from '../Panel.jsx';
import SelectField from './SelectField.jsx';

/** The delivery log (attempts, answer, next try), for every rule or one; reloaded with the page. */
export default function DeliveriesPanel({ rules, updatedAt }) {
  const [rule, setRule] = useState('');
  const [state, setState] = useState({ deliveries: [], error: null });
  const ruleName = new Map(rules.map((r) => [r.id, r.name]));
  const refreshKey = updatedAt?.getTime() ?? 0;

  useEffect(() => {
    const controller = new AbortController();
    alertsApi
      .deliveries({ rule: rule || undefined }, controller.signal)
      .then((body) => setState({ deliveries: body?.deliveries ?? [], error: null }))
      .catch((error) => {
        if (!controller.signal.aborted) setState({ deliveries: [], error: alertsErrorText(error) });
      });
    return () => controller.abort();
  }, [rule, refreshKey]);

  return (
    <Panel
      title="Deliveries"
      subtitle="Every notification sent or being retried"
      testId="panel-deliveries"
      action={
        <SelectField
          label="Rule"
          value={rule}
          onChange={setRule}
          testId="deliveries-rule"
          any="All rules"
          options={rules.map((r) => ({ value: String(r.id), label: r.name }))}
          sx={{ minWidth: 180 }}
        />
      }
    >
      {state.error && <Alert severity="error">{state.error}</Alert>}
      {!state.error && state.deliveries.length === 0 ? (
        <Typography variant="body2" color="text.secondary" data-testid="deliveries-none">
          Nothing delivered yet.
        </Typography>
      ) : (
        <TableContainer sx={{ maxHeight: 360 }}>
          <Table size="small" stickyHeader aria-label="Deliveries">
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Rule</TableCell>
                <TableCell>Channel</TableCell>
                <TableCell>Event</TableCell>
                <TableCell align="right">Attempts</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Answer</TableCell>
                <TableCell>Next try</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {state.deliveries.map((delivery, index) => (
                <TableRow key={delivery.id ?? index} data-testid="delivery-row" data-status={delivery.status}>
                  <TableCell>{formatWhen(delivery.at)}</TableCell>
                  <TableCell>{ruleName.get(delivery.rule) ?? delivery.rule}</TableCell>
                  <TableCell>{delivery.channel}</TableCell>
                  <TableCell>{delivery.event}</TableCell>
                  <TableCell align="right">{delivery.attempts}</TableCell>
                  <TableCell>{delivery.status}</TableCell>
                  <TableCell sx={{ maxWidth: 280, wordBreak: 'break-word' }}>{delivery.answer ?? ''}</TableCell>
                  <TableCell>{delivery.next_try ? formatWhen(delivery.next_try) : '–'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Panel>
  );
}
