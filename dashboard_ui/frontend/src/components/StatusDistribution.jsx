import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Collapse from '@mui/material/Collapse';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { formatCount, showValue } from '../lib/format.js';
import { STATUS_CLASSES, groupStatusDistribution, statusClass } from '../lib/health.js';
import { SERIES } from '../theme.js';
import { ExpandMoreIcon } from './icons.jsx';
import Panel from './Panel.jsx';
import StackedBar from './StackedBar.jsx';

function ServiceStatus({ group, max, onExplore }) {
  const [open, setOpen] = useState(false);
  const classes = STATUS_CLASSES.filter((c) => group.classes[c] > 0);
  return (
    <Box data-testid="status-service" sx={{ py: 1, borderBottom: 1, borderColor: 'divider' }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <Typography variant="body2" sx={{ fontWeight: 600, flexGrow: 1, wordBreak: 'break-all' }}>
          {showValue(group.service)}
        </Typography>
        <Typography variant="body2" color="text.secondary">
          {formatCount(group.total_requests)}
        </Typography>
        <IconButton
          size="small"
          onClick={() => setOpen((v) => !v)}
          aria-expanded={open}
          aria-label={
            open
              ? `Hide status codes of ${showValue(group.service)}`
              : `Show status codes of ${showValue(group.service)}`
          }
          data-testid="status-expand"
          sx={{ transform: open ? 'rotate(180deg)' : 'none', transition: 'transform 150ms' }}
        >
          <ExpandMoreIcon fontSize="small" />
        </IconButton>
      </Box>
      <StackedBar
        scale={group.total_requests / max}
        label={classes.map((c) => `${c}: ${formatCount(group.classes[c])}`).join(', ')}
        segments={classes.map((c) => ({ key: c, label: c, value: group.classes[c], color: SERIES[c] }))}
      />
      <Stack direction="row" spacing={1.5} sx={{ mt: 0.5, flexWrap: 'wrap' }}>
        {classes.map((c) => (
          <Stack key={c} direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
            <Box sx={{ width: 8, height: 8, borderRadius: '50%', bgcolor: SERIES[c] }} />
            <Typography variant="caption" data-testid={`status-class-${c}`}>
              {c} {formatCount(group.classes[c])}
            </Typography>
          </Stack>
        ))}
      </Stack>
      <Collapse in={open} unmountOnExit>
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.75, mt: 1 }} data-testid="status-codes">
          {group.codes.map(({ status, total_requests }) => (
            <Chip
              key={status}
              size="small"
              variant="outlined"
              data-testid="status-code"
              label={`${status} · ${formatCount(total_requests)}`}
              onClick={() => onExplore(group.service, status)}
              aria-label={`Requests of ${showValue(group.service)} answered ${status}`}
              sx={{ borderColor: SERIES[statusClass(status)] }}
            />
          ))}
        </Box>
      </Collapse>
    </Box>
  );
}

export default function StatusDistribution({ rows, onExplore }) {
  const groups = groupStatusDistribution(rows);
  const max = Math.max(1, ...groups.map((g) => g.total_requests));
  return (
    <Panel
      title="Status codes"
      subtitle="Per service; expand for individual codes, click one to see its requests"
      testId="panel-status-codes"
    >
      {groups.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No responses in this range.
        </Typography>
      ) : (
        <Box sx={{ maxHeight: 420, overflowY: 'auto' }}>
          {groups.map((group) => (
            <ServiceStatus key={group.service} group={group} max={max} onExplore={onExplore} />
          ))}
        </Box>
      )}
    </Panel>
  );
}
