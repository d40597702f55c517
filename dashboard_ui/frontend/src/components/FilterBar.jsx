import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import TextField from '@mui/material/TextField';
import { showValue } from '../lib/format.js';
import { FILTER_KEYS } from '../lib/urlState.js';

const LABELS = {
  service: ['Service', 'All services'],
  node: ['Node', 'All nodes'],
  endpoint: ['Endpoint', 'All endpoints'],
  method: ['Method', 'All methods'],
  consumer: ['Consumer', 'All consumers'],
  context: ['Context', 'All contexts'],
};

/** The options for one filter: what /metrics/filters returned, plus the current value so it stays visible. */
function optionsFor(key, options, value) {
  const values = (options?.[`${key}s`] ?? []).filter((v) => v !== null && v !== '').map(String);
  if (value && !values.includes(value)) values.push(value);
  return [...new Set(values)].sort((a, b) => a.localeCompare(b));
}

export default function FilterBar({ filters, options, onChange, onClear }) {
  const active = FILTER_KEYS.some((key) => filters[key]);
  return (
    <Box
      sx={{
        display: 'grid',
        gap: 1.5,
        gridTemplateColumns: {
          xs: 'repeat(2, minmax(0, 1fr))',
          sm: 'repeat(3, minmax(0, 1fr))',
          lg: 'repeat(6, minmax(0, 1fr)) auto',
        },
        alignItems: 'center',
      }}
      data-testid="filters"
    >
      {FILTER_KEYS.map((key) => {
        const [label, all] = LABELS[key];
        return (
          <TextField
            key={key}
            select
            size="small"
            label={label}
            value={filters[key]}
            onChange={(event) => onChange(key, event.target.value)}
            slotProps={{
              select: { native: true },
              inputLabel: { shrink: true },
              htmlInput: { 'data-testid': `filter-${key}`, 'aria-label': label },
            }}
            sx={{ minWidth: 0 }}
          >
            <option value="">{all}</option>
            {optionsFor(key, options, filters[key]).map((value) => (
              <option key={value} value={value}>
                {showValue(value)}
              </option>
            ))}
          </TextField>
        );
      })}
      <Button
        size="small"
        onClick={onClear}
        disabled={!active}
        data-testid="filters-clear"
        sx={{ gridColumn: { xs: '1 / -1', lg: 'auto' }, justifySelf: { xs: 'start', lg: 'auto' } }}
      >
        Clear filters
      </Button>
    </Box>
  );
}
