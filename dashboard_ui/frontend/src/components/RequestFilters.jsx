import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import { STATUS_CLASS_VALUES } from '../lib/urlState.js';

const STATUS_CLASS_LABELS = { error: 'Errors (≥ 400)' };

const FIELDS = [
  {
    key: 'status',
    label: 'Status code',
    placeholder: 'e.g. 503',
    valid: (text) => /^[1-5]\d\d$/.test(text),
    problem: 'A code from 100 to 599',
  },
  {
    key: 'min_latency',
    label: 'Latency at least (ms)',
    placeholder: 'e.g. 500',
    valid: (text) => /^\d{1,9}$/.test(text),
    problem: 'Whole milliseconds',
  },
];

/**
 * A number typed in full before it filters: the view changes on Enter or when the field is
 * left, not on every key (a half-typed "50" is not a status code).
 */
function CommitField({ field, value, onCommit }) {
  const [draft, setDraft] = useState(value);
  const text = draft.trim();
  const error = text !== '' && !field.valid(text);
  const commit = () => {
    if (!error && text !== value) onCommit(text === '' ? '' : String(Number(text)));
  };
  return (
    <TextField
      size="small"
      label={field.label}
      value={draft}
      placeholder={field.placeholder}
      error={error}
      helperText={error ? field.problem : undefined}
      onChange={(event) => setDraft(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit();
      }}
      slotProps={{
        inputLabel: { shrink: true },
        htmlInput: { inputMode: 'numeric', 'data-testid': `filter-${field.key}`, 'aria-label': field.label },
      }}
      sx={{ minWidth: 0 }}
    />
  );
}

/** The explorer's own filters, under the dashboard's: status class, status code and least latency. */
export default function RequestFilters({ explorer, onChange, onClear }) {
  const active = ['status_class', ...FIELDS.map((f) => f.key)].some((key) => explorer[key]);
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
        alignItems: 'start',
      }}
      data-testid="explorer-filters"
    >
      <TextField
        select
        size="small"
        label="Status class"
        value={explorer.status_class}
        onChange={(event) => onChange('status_class', event.target.value)}
        slotProps={{
          select: { native: true },
          inputLabel: { shrink: true },
          htmlInput: { 'data-testid': 'filter-status_class', 'aria-label': 'Status class' },
        }}
        sx={{ minWidth: 0 }}
      >
        <option value="">All statuses</option>
        {STATUS_CLASS_VALUES.map((value) => (
          <option key={value} value={value}>
            {STATUS_CLASS_LABELS[value] ?? value}
          </option>
        ))}
      </TextField>
      {FIELDS.map((field) => (
        // Keyed by the URL's value, so Back or a link resets what is typed.
        <CommitField
          key={`${field.key}:${explorer[field.key]}`}
          field={field}
          value={explorer[field.key]}
          onCommit={(value) => onChange(field.key, value)}
        />
      ))}
      <Button
        size="small"
        onClick={onClear}
        disabled={!active}
        data-testid="explorer-filters-clear"
        aria-label="Clear the status and latency filters"
        sx={{ gridColumn: { lg: 7 }, justifySelf: { xs: 'start', lg: 'auto' }, alignSelf: 'center' }}
      >
        Clear
      </Button>
    </Box>
  );
}
