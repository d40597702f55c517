import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import { useState } from 'react';
import {
  CUSTOM_RANGE,
  RANGES,
  computeRange,
  fromLocalInputValue,
  toApiTime,
  toLocalInputValue,
} from '../lib/timeRange.js';

// Small enough on a 390 px phone for all nine buttons to fit in one row.
const BUTTON_SX = {
  px: { xs: 0.9, sm: 1.25 },
  minWidth: { xs: 34, sm: 40 },
  fontSize: { xs: '0.8rem', sm: '0.875rem' },
};

export default function RangeSelector({ view, onChange }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState({ start: '', end: '' });
  const showCustom = editing || view.range === CUSTOM_RANGE;
  const current = editing ? CUSTOM_RANGE : view.range;

  function openCustom() {
    const range = computeRange(view) ?? computeRange({ range: '24h' });
    setDraft({ start: toLocalInputValue(range.start), end: toLocalInputValue(range.end) });
    setEditing(true);
  }

  const start = fromLocalInputValue(draft.start);
  const end = fromLocalInputValue(draft.end);
  const draftError =
    !start || !end ? 'Pick a start and an end' : start >= end ? 'The start must be before the end' : '';

  function apply(event) {
    event.preventDefault();
    if (draftError) return;
    onChange({ range: CUSTOM_RANGE, start: toApiTime(start), end: toApiTime(end) });
    setEditing(false);
  }

  return (
    <Box sx={{ minWidth: 0, maxWidth: '100%' }}>
      <Box sx={{ overflowX: 'auto', pb: 0.5 }}>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={current}
          aria-label="Time range"
          onChange={(_, value) => {
            if (value === CUSTOM_RANGE) openCustom();
            else if (value) {
              setEditing(false);
              onChange({ range: value, start: null, end: null });
            }
          }}
        >
          {RANGES.map((range) => (
            <ToggleButton
              key={range.key}
              value={range.key}
              data-testid={`range-${range.key}`}
              title={range.title}
              aria-label={range.title}
              sx={BUTTON_SX}
            >
              {range.label}
            </ToggleButton>
          ))}
          <ToggleButton value={CUSTOM_RANGE} data-testid="range-custom" sx={BUTTON_SX}>
            Custom
          </ToggleButton>
        </ToggleButtonGroup>
      </Box>
      {showCustom && (
        <Stack
          component="form"
          onSubmit={apply}
          direction={{ xs: 'column', sm: 'row' }}
          spacing={1}
          sx={{ mt: 1.5, alignItems: { sm: 'center' } }}
          data-testid="custom-range"
        >
          <TextField
            label="From"
            type="datetime-local"
            size="small"
            value={editing ? draft.start : toLocalInputValue(new Date(view.start))}
            onChange={(e) => {
              if (!editing) setDraft({ start: e.target.value, end: toLocalInputValue(new Date(view.end)) });
              else setDraft((d) => ({ ...d, start: e.target.value }));
              setEditing(true);
            }}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'custom-start' } }}
          />
          <TextField
            label="To"
            type="datetime-local"
            size="small"
            value={editing ? draft.end : toLocalInputValue(new Date(view.end))}
            onChange={(e) => {
              if (!editing) setDraft({ start: toLocalInputValue(new Date(view.start)), end: e.target.value });
              else setDraft((d) => ({ ...d, end: e.target.value }));
              setEditing(true);
            }}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'custom-end' } }}
            error={editing && Boolean(draftError) && Boolean(draft.start && draft.end)}
            helperText={editing && draft.start && draft.end && draftError ? draftError : undefined}
          />
          {editing && (
            <Stack direction="row" spacing={1}>
              <Button
                type="submit"
                variant="contained"
                size="small"
                disabled={Boolean(draftError)}
                data-testid="custom-apply"
              >
                Apply
              </Button>
              <Button size="small" onClick={() => setEditing(false)}>
                Cancel
              </Button>
            </Stack>
          )}
        </Stack>
      )}
    </Box>
  );
}
