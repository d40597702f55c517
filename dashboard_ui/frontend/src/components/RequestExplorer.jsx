// The request explorer (page=requests): the records behind the dashboard's aggregates, for the
// same range and filters plus status and latency, newest or slowest first, a page at a time.
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import Typography from '@mui/material/Typography';
import { useCallback, useState } from 'react';
import { useRequests } from '../hooks/useRequests.js';
import { useViewFilters } from '../hooks/useViewFilters.js';
import { csvHref, describeSource, formatRecordTime, pinnedQuery } from '../lib/explorer.js';
import { formatCount, showValue } from '../lib/format.js';
import { statusClass } from '../lib/health.js';
import { DEFAULT_EXPLORER } from '../lib/urlState.js';
import PageFrame from './PageFrame.jsx';
import Panel from './Panel.jsx';
import RequestFilters from './RequestFilters.jsx';
import { ErrorBanner } from './States.jsx';
import ViewControls from './ViewControls.jsx';

const DASH = '–';
const STATUS_COLOR = { '4xx': 'warning.main', '5xx': 'error.main' };

const COLUMNS = [
  { key: 'created_at', label: 'Time', sort: 'time' },
  { key: 'service', label: 'Service' },
  { key: 'node', label: 'Node' },
  { key: 'method', label: 'Method' },
  { key: 'endpoint', label: 'Endpoint', wide: true },
  { key: 'status', label: 'Status', numeric: true },
  { key: 'response_time', label: 'Latency', numeric: true, sort: 'latency' },
  { key: 'consumer', label: 'Consumer' },
  { key: 'context', label: 'Context' },
];
const SORT_LABELS = { time: 'newest first', latency: 'slowest first' };

function plural(n, word) {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

function text(value) {
  return value === null || value === undefined || value === '' ? DASH : showValue(value);
}

function Cell({ column, record, sampleNote }) {
  const value = record[column.key];
  if (column.key === 'created_at') {
    return (
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.75 }}>
        <span title={String(value)}>{formatRecordTime(value)}</span>
        {record.source === 'sample' && (
          <Chip
            label="sample"
            size="small"
            variant="outlined"
            color="info"
            title={sampleNote ?? 'Kept in the 14-day sample'}
            data-testid="sample-marker"
            sx={{ height: 18, fontSize: 11 }}
          />
        )}
      </Box>
    );
  }
  if (column.key === 'status') {
    return (
      <Box component="span" sx={{ color: STATUS_COLOR[statusClass(value)], fontWeight: value >= 400 ? 600 : 400 }}>
        {text(value)}
      </Box>
    );
  }
  if (column.key === 'response_time') return value == null ? DASH : `${formatCount(value)} ms`;
  return text(value);
}

function Summary({ answer, shown }) {
  if (!answer) return null;
  const order = SORT_LABELS[answer.sort] ?? '';
  let sentence;
  if (answer.total != null) {
    sentence = `${plural(answer.total, 'matching request')}`;
    if (shown < answer.total) sentence += `, showing ${formatCount(shown)}`;
  } else {
    sentence = `Showing ${plural(shown, 'request')}${answer.next_cursor ? ', more match' : ''}`;
  }
  return (
    <Typography variant="body2" data-testid="explorer-summary" aria-live="polite">
      {sentence}
      {order ? ` · ${order}` : ''}
    </Typography>
  );
}

function SourceNote({ answer }) {
  if (!answer) return null;
  const sentence = describeSource(answer);
  if (!sentence) return null;
  return answer.sampled || answer.source !== 'raw' ? (
    <Alert severity="info" data-testid="explorer-source" data-source={answer.source} sx={{ py: 0 }}>
      {sentence}
    </Alert>
  ) : (
    <Typography variant="caption" color="text.secondary" data-testid="explorer-source" data-source={answer.source}>
      {sentence}
    </Typography>
  );
}

/** Copy a link to exactly these records (the range pinned); where the clipboard is refused, show it. */
function CopyLink({ link }) {
  const [state, setState] = useState('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <>
      <Button
        size="small"
        variant="outlined"
        onClick={copy}
        disabled={!link}
        data-testid="explorer-copy-link"
        title="Copy a link to these requests (with the time range pinned)"
      >
        Copy link
      </Button>
      <Box
        component="span"
        role="status"
        data-testid="explorer-copy-status"
        sx={{ fontSize: 12, color: 'text.secondary' }}
      >
        {state === 'copied' ? 'Link copied' : ''}
      </Box>
      {state === 'failed' && (
        <Box
          component="input"
          readOnly
          value={link}
          aria-label="Link to these requests"
          data-testid="explorer-link"
          onFocus={(event) => event.target.select()}
          sx={{ font: 'inherit', fontSize: 12, minWidth: 0, width: 240 }}
        />
      )}
    </>
  );
}

function RequestTable({ records, answer, sort, onSort, loading }) {
  return (
    <TableContainer sx={{ overflowX: 'auto' }}>
      <Table
        size="small"
        aria-label="Requests"
        aria-busy={loading}
        data-testid="requests-table"
        sx={{
          '& td, & th': { px: { xs: 0.75, sm: 1.5 } },
          '& td, & th:not(.wide)': { whiteSpace: 'nowrap' },
          '& td.wide': { fontFamily: 'monospace', wordBreak: 'break-all', minWidth: 160 },
        }}
      >
        <TableHead>
          <TableRow>
            {COLUMNS.map((column) => (
              <TableCell
                key={column.key}
                align={column.numeric ? 'right' : 'left'}
                sortDirection={column.sort && sort === column.sort ? 'desc' : false}
                className={column.wide ? 'wide' : undefined}
              >
                {column.sort ? (
                  <TableSortLabel
                    active={sort === column.sort}
                    direction="desc"
                    onClick={() => onSort(column.sort)}
                    data-testid={`explorer-sort-${column.sort}`}
                  >
                    {column.label}
                  </TableSortLabel>
                ) : (
                  column.label
                )}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {records.map((record, index) => (
            // Records have no id; the list only ever grows at its end, so the index is stable.
            <TableRow key={index} hover data-testid="request-row" data-source={record.source}>
              {COLUMNS.map((column) => (
                <TableCell
                  key={column.key}
                  align={column.numeric ? 'right' : 'left'}
                  className={column.wide ? 'wide' : undefined}
                  data-testid={`request-${column.key}`}
                >
                  <Cell column={column} record={record} sampleNote={answer?.sample_note} />
                </TableCell>
              ))}
            </TableRow>
          ))}
          {answer && records.length === 0 && (
            <TableRow>
              <TableCell colSpan={COLUMNS.length} data-testid="explorer-empty">
                <Typography variant="body2" color="text.secondary" sx={{ py: 2, textAlign: 'center' }}>
                  No requests match these filters in this range.
                </Typography>
              </TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

export default function RequestExplorer(page) {
  const { view, setView, onSessionExpired } = page;
  const result = useRequests(view, { onSessionExpired });
  const { answer, params } = result;
  const records = answer?.requests ?? [];
  const explorer = { ...DEFAULT_EXPLORER, ...view.explorer };

  const { setFilter, clearFilters } = useViewFilters(setView);
  const setExplorer = useCallback(
    (key, value, options) => setView((v) => ({ ...v, explorer: { ...v.explorer, [key]: value } }), options),
    [setView],
  );
  const clearExplorer = useCallback(
    () => setView((v) => ({ ...v, explorer: { ...DEFAULT_EXPLORER, sort: v.explorer?.sort ?? 'time' } })),
    [setView],
  );

  const link = params ? `${window.location.origin}${window.location.pathname}?${pinnedQuery(view, params)}` : '';
  const readFor =
    answer?.start_time && answer?.end_time
      ? ` · ${formatRecordTime(answer.start_time).replace(/\.000$/, '')} to ${formatRecordTime(answer.end_time).replace(/\.000$/, '')}`
      : '';

  return (
    <PageFrame page={page} updatedAt={result.updatedAt} refreshing={result.loading} onRefresh={result.reload}>
      <ViewControls
        view={view}
        setView={setView}
        options={result.options}
        onFilter={setFilter}
        onClear={clearFilters}
        detail={<span data-testid="explorer-range">{readFor}</span>}
      >
        <RequestFilters explorer={explorer} onChange={setExplorer} onClear={clearExplorer} />
      </ViewControls>

      {result.error && <ErrorBanner message={result.error} onRetry={result.reload} />}

      <Panel
        title="Requests"
        subtitle="The records behind the dashboard's figures, for the range and filters above"
        testId="panel-requests"
        action={
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
            <CopyLink link={link} />
            <Button
              size="small"
              variant="outlined"
              href={params ? csvHref(params) : undefined}
              disabled={!params}
              download
              data-testid="explorer-export"
              title="Download the matching requests as CSV, the first 1,000 at most"
            >
              Export CSV
            </Button>
          </Stack>
        }
      >
        <Stack spacing={1} sx={{ mb: 1 }}>
          <Summary answer={answer} shown={records.length} />
          <SourceNote answer={answer} />
        </Stack>
        <Box sx={{ height: 4 }}>{result.loading && <LinearProgress aria-label="Loading requests" />}</Box>
        <RequestTable
          records={records}
          answer={answer}
          sort={explorer.sort}
          onSort={(sort) => setExplorer('sort', sort, { replace: true })}
          loading={result.loading}
        />
        {answer?.next_cursor && (
          <Box sx={{ mt: 1.5 }}>
            <Button
              variant="outlined"
              size="small"
              onClick={result.loadMore}
              disabled={result.loadingMore}
              data-testid="explorer-load-more"
            >
              {result.loadingMore ? 'Loading…' : 'Load more'}
            </Button>
          </Box>
        )}
      </Panel>
    </PageFrame>
  );
}
