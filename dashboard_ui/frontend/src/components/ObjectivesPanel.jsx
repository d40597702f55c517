import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import { usePageVisible } from '../hooks/usePageVisible.js';
import { apiFetch } from '../lib/api.js';
import { formatDuration, formatPercent, showValue } from '../lib/format.js';
import { STATUS_COLOR } from '../lib/health.js';
import {
  BURN_WINDOWS,
  budgetStatus,
  describeObjective,
  formatApdex,
  formatBudget,
  formatBurnRate,
} from '../lib/objectives.js';
import Panel from './Panel.jsx';

const REFRESH_MS = 60_000;
const KINDS = ['availability', 'latency'];

/** The objectives of every visible service, refreshed every minute while the page is visible. */
function useObjectives() {
  const visible = usePageVisible();
  const [state, setState] = useState({ rows: null, error: null });
  useEffect(() => {
    if (!visible) return undefined;
    const controller = new AbortController();
    const load = () =>
      apiFetch('/objectives', { signal: controller.signal })
        .then((body) => setState({ rows: body.objectives, error: null }))
        .catch((error) => error?.name !== 'AbortError' && setState((s) => ({ ...s, error: error.message })));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [visible]);
  return state;
}

function Budget({ fraction }) {
  const status = budgetStatus(fraction);
  return (
    <Typography
      variant="body2"
      component="span"
      data-testid="objective-budget"
      sx={{ fontWeight: 600, color: status ? `${STATUS_COLOR[status]}.main` : 'text.secondary' }}
    >
      {formatBudget(fraction)}
    </Typography>
  );
}

function ServiceRows({ row }) {
  return KINDS.map((kind, index) => {
    const objective = row[kind];
    const alerts = row.alerts.filter((alert) => alert.objective === kind);
    return (
      <TableRow key={kind} data-testid="objective-row" data-service={row.service} data-objective={kind}>
        {index === 0 && (
          <TableCell rowSpan={KINDS.length} sx={{ verticalAlign: 'top' }}>
            <Typography variant="body2" sx={{ fontWeight: 600, wordBreak: 'break-all' }}>
              {showValue(row.service)}
            </Typography>
            <Typography variant="caption" color="text.secondary" component="div">
              Apdex {formatApdex(row.apdex)} · T {formatDuration(row.apdex_t_ms)}
            </Typography>
          </TableCell>
        )}
        <TableCell>{describeObjective(kind, objective)}</TableCell>
        <TableCell align="right">{formatPercent(objective.compliance)}</TableCell>
        <TableCell align="right">
          <Budget fraction={objective.budget_left} />
        </TableCell>
        {BURN_WINDOWS.map((window) => (
          <TableCell key={window} align="right" sx={{ fontVariantNumeric: 'tabular-nums' }}>
            {formatBurnRate(objective.burn_rates[window])}
          </TableCell>
        ))}
        <TableCell>
          {alerts.map((alert) => (
            <Chip
              key={alert.speed}
              size="small"
              color={alert.speed === 'fast' ? 'error' : 'warning'}
              label={`${alert.speed} burn`}
              data-testid="objective-alert"
            />
          ))}
        </TableCell>
      </TableRow>
    );
  });
}

export default function ObjectivesPanel() {
  const { rows, error } = useObjectives();
  return (
    <Panel
      title="Objectives"
      subtitle="Last 30 days: compliance, error budget left, and how fast it burns (1× spends it in 30 days)"
      testId="panel-objectives"
    >
      {error && (
        <Typography variant="body2" color="error">
          {error}
        </Typography>
      )}
      {rows && rows.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          No services.
        </Typography>
      )}
      {rows && rows.length > 0 && (
        <TableContainer sx={{ maxHeight: 420, overflow: 'auto' }}>
          <Table
            size="small"
            stickyHeader
            aria-label="Objectives"
            sx={{ '& td, & th': { px: { xs: 0.75, sm: 1.5 } }, '& th': { whiteSpace: 'nowrap' } }}
          >
            <TableHead>
              <TableRow>
                <TableCell>Service</TableCell>
                <TableCell>Objective</TableCell>
                <TableCell align="right">30 days</TableCell>
                <TableCell align="right">Budget left</TableCell>
                {BURN_WINDOWS.map((window) => (
                  <TableCell key={window} align="right">
                    Burn {window}
                  </TableCell>
                ))}
                <TableCell>Alerts</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((row) => (
                <ServiceRows key={`${row.tenant}/${row.service}`} row={row} />
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      {!rows && !error && <Box sx={{ height: 40 }} />}
    </Panel>
  );
}
