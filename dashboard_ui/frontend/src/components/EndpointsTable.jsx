import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { isOther } from '../lib/cardinality.js';
import { formatCount, formatDuration, formatPercent, showValue } from '../lib/format.js';
import { DEFAULT_THRESHOLDS, STATUS_COLOR, level } from '../lib/health.js';
import { sortRows } from '../lib/sort.js';
import ExploreButton from './ExploreButton.jsx';
import OtherNote from './OtherNote.jsx';
import Panel from './Panel.jsx';

const FIRST_ROWS = 10;

const COLUMNS = [
  { field: 'endpoint', label: 'Endpoint' },
  { field: 'total_requests', label: 'Requests', numeric: true },
  { field: 'avg_latency', label: 'Avg', numeric: true, hideOnPhone: true },
  { field: 'p95_latency', label: 'p95', numeric: true, hideOnPhone: true },
  { field: 'error_count', label: 'Errors', numeric: true, hideOnPhone: true },
  { field: 'error_rate', label: 'Error rate', numeric: true },
];

function errorLevel(rate, t) {
  const status = level(rate, t.error_rate_success_threshold, t.error_rate_warning_threshold);
  return status === 'healthy' ? null : status;
}

const phoneHidden = { display: { xs: 'none', sm: 'table-cell' } };

export default function EndpointsTable({ endpoints, sort, onSort, selected, onSelect, onExplore, thresholds }) {
  const [showAll, setShowAll] = useState(false);
  const t = { ...DEFAULT_THRESHOLDS, ...(thresholds ?? {}) };
  const rows = sortRows(endpoints, sort);
  const visible = showAll ? rows : rows.slice(0, FIRST_ROWS);
  const multipleServices = new Set(rows.map((r) => r.service)).size > 1;

  const header = (column) => (
    <TableCell
      key={column.field}
      align={column.numeric ? 'right' : 'left'}
      sortDirection={sort.field === column.field ? (sort.desc ? 'desc' : 'asc') : false}
      sx={column.hideOnPhone ? phoneHidden : undefined}
    >
      <TableSortLabel
        active={sort.field === column.field}
        direction={sort.field === column.field && !sort.desc ? 'asc' : 'desc'}
        onClick={() =>
          onSort({
            field: column.field,
            // First click: big numbers first, names A→Z.
            desc: sort.field === column.field ? !sort.desc : Boolean(column.numeric),
          })
        }
        data-testid={`sort-${column.field}`}
      >
        {column.label}
      </TableSortLabel>
    </TableCell>
  );

  return (
    <Panel
      title="Top endpoints"
      subtitle="Click an endpoint to filter the dashboard by it, or its magnifier to see its requests"
      testId="panel-endpoints"
      action={
        selected ? (
          <Button size="small" onClick={() => onSelect(null)} data-testid="endpoint-clear">
            Show all endpoints
          </Button>
        ) : null
      }
    >
      {rows.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No endpoints in this range.
        </Typography>
      ) : (
        <>
          <TableContainer sx={{ overflowX: 'auto' }}>
            <Table
              size="small"
              aria-label="Top endpoints"
              data-testid="endpoints-table"
              sx={{
                '& td, & th': { px: { xs: 0.75, sm: 2 } },
                '& td:not(:first-of-type), & th': { whiteSpace: 'nowrap' },
              }}
            >
              <TableHead>
                <TableRow>{COLUMNS.map(header)}</TableRow>
              </TableHead>
              <TableBody>
                {visible.map((row) => {
                  const level = errorLevel(row.error_rate, t);
                  const isSelected = selected === row.endpoint;
                  return (
                    <TableRow
                      key={`${row.service}\u0000${row.method}\u0000${row.endpoint}`}
                      hover
                      selected={isSelected}
                      tabIndex={0}
                      data-testid="endpoint-row"
                      onClick={() => onSelect(row)}
                      onKeyDown={(event) => {
                        if (event.key === 'Enter' || event.key === ' ') {
                          event.preventDefault();
                          onSelect(row);
                        }
                      }}
                      sx={{ cursor: 'pointer' }}
                    >
                      <TableCell sx={{ width: { xs: '60%', sm: 'auto' }, maxWidth: { sm: 480 } }}>
                        <Box
                          sx={{
                            display: 'flex',
                            flexDirection: { xs: 'column', sm: 'row' },
                            alignItems: { xs: 'flex-start', sm: 'center' },
                            gap: { xs: 0.5, sm: 1 },
                            minWidth: 0,
                          }}
                        >
                          <Chip
                            label={showValue(row.method)}
                            size="small"
                            variant="outlined"
                            sx={{ fontFamily: 'monospace', fontSize: 11, height: 20, flexShrink: 0 }}
                          />
                          <Box sx={{ minWidth: 0, flexGrow: 1 }}>
                            <Typography
                              variant="body2"
                              data-testid="endpoint-name"
                              sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}
                            >
                              {showValue(row.endpoint)}
                            </Typography>
                            {isOther(row.endpoint) && <OtherNote dimension="endpoint" />}
                            {multipleServices && (
                              <Typography variant="caption" color="text.secondary" sx={{ wordBreak: 'break-all' }}>
                                {showValue(row.service)}
                              </Typography>
                            )}
                          </Box>
                          <ExploreButton
                            label={`Requests of ${showValue(row.method)} ${showValue(row.endpoint)}`}
                            onClick={() => onExplore(row)}
                            testId="endpoint-explore"
                          />
                        </Box>
                      </TableCell>
                      <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                        {formatCount(row.total_requests)}
                      </TableCell>
                      <TableCell align="right" sx={phoneHidden}>
                        {formatDuration(row.avg_latency)}
                      </TableCell>
                      <TableCell align="right" sx={phoneHidden}>
                        {formatDuration(row.p95_latency)}
                      </TableCell>
                      <TableCell align="right" sx={phoneHidden}>
                        {formatCount(row.error_count)}
                      </TableCell>
                      <TableCell align="right">
                        {level ? (
                          <Chip
                            label={formatPercent(row.error_rate)}
                            color={STATUS_COLOR[level]}
                            size="small"
                            sx={{ height: 20 }}
                          />
                        ) : (
                          formatPercent(row.error_rate)
                        )}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </TableContainer>
          {rows.length > FIRST_ROWS && (
            <Box sx={{ mt: 1 }}>
              <Button size="small" onClick={() => setShowAll((v) => !v)} data-testid="endpoints-toggle">
                {showAll ? `Show top ${FIRST_ROWS}` : `Show all ${formatCount(rows.length)} endpoints`}
              </Button>
            </Box>
          )}
        </>
      )}
    </Panel>
  );
}
