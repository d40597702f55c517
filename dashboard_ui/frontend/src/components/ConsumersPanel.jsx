import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { isOther } from '../lib/cardinality.js';
import { formatCount, formatDuration, formatPercent, showValue } from '../lib/format.js';
import { SERIES } from '../theme.js';
import ExploreButton from './ExploreButton.jsx';
import OtherNote from './OtherNote.jsx';
import Panel from './Panel.jsx';
import StackedBar from './StackedBar.jsx';

function Legend() {
  return (
    <Stack direction="row" spacing={1.5}>
      {[
        ['Success', SERIES.success],
        ['Errors', SERIES.error],
      ].map(([label, color]) => (
        <Stack key={label} direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
          <Box sx={{ width: 10, height: 10, borderRadius: 0.5, bgcolor: color }} />
          <Typography variant="caption">{label}</Typography>
        </Stack>
      ))}
    </Stack>
  );
}

export default function ConsumersPanel({ consumers, selected, onSelect, onExplore }) {
  const rows = [...(consumers ?? [])].sort((a, b) => (b.total_requests ?? 0) - (a.total_requests ?? 0));
  const max = Math.max(1, ...rows.map((r) => r.total_requests ?? 0));
  return (
    <Panel
      title="Consumers"
      subtitle="Who calls your APIs, and how often it fails"
      testId="panel-consumers"
      action={<Legend />}
    >
      {rows.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No consumers in this range.
        </Typography>
      ) : (
        <TableContainer sx={{ maxHeight: 420, overflow: 'auto' }}>
          <Table
            size="small"
            stickyHeader
            aria-label="Consumers"
            sx={{
              '& td, & th': { px: { xs: 0.75, sm: 2 } },
              '& td:not(:first-of-type), & th': { whiteSpace: 'nowrap' },
            }}
          >
            <TableHead>
              <TableRow>
                <TableCell>Consumer</TableCell>
                <TableCell align="right">Requests</TableCell>
                <TableCell align="right">Errors</TableCell>
                <TableCell align="right" sx={{ display: { xs: 'none', sm: 'table-cell' } }}>
                  Avg
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((row) => {
                return (
                  <TableRow
                    key={row.consumer}
                    hover
                    selected={selected === row.consumer}
                    data-testid="consumer-row"
                    onClick={() => onSelect(selected === row.consumer ? '' : row.consumer)}
                    sx={{ cursor: 'pointer' }}
                  >
                    <TableCell sx={{ maxWidth: 260 }}>
                      <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5, mb: 0.5 }}>
                        <Typography variant="body2" data-testid="consumer-name" sx={{ wordBreak: 'break-all' }}>
                          {showValue(row.consumer)}
                        </Typography>
                        <ExploreButton
                          label={`Requests of ${showValue(row.consumer)}`}
                          onClick={() => onExplore(row.consumer)}
                          testId="consumer-explore"
                        />
                      </Box>
                      {isOther(row.consumer) && <OtherNote dimension="consumer" sx={{ mb: 0.5 }} />}
                      <StackedBar
                        scale={(row.total_requests ?? 0) / max}
                        label={`${formatCount(row.success_count)} successful, ${formatCount(row.error_count)} failed`}
                        segments={[
                          { key: 'ok', label: 'Success', value: row.success_count ?? 0, color: SERIES.success },
                          { key: 'err', label: 'Errors', value: row.error_count ?? 0, color: SERIES.error },
                        ]}
                      />
                    </TableCell>
                    <TableCell align="right">{formatCount(row.total_requests)}</TableCell>
                    <TableCell align="right">
                      {formatCount(row.error_count)}
                      <Typography variant="caption" color="text.secondary" component="div">
                        {formatPercent(row.error_rate)}
                      </Typography>
                    </TableCell>
                    <TableCell align="right" sx={{ display: { xs: 'none', sm: 'table-cell' } }}>
                      {formatDuration(row.avg_latency)}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Panel>
  );
}
