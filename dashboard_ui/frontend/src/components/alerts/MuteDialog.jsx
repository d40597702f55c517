import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { muteUntil } from '../../lib/alerts.js';
import { showValue } from '../../lib/format.js';
import { toLocalInputValue } from '../../lib/timeRange.js';
import SelectField from './SelectField.jsx';
import FormDialog from './FormDialog.jsx';
import { useFormDialog } from './useFormDialog.js';

const PRESETS = [
  { hours: 1, label: '1 hour' },
  { hours: 4, label: '4 hours' },
  { hours: 24, label: '1 day' },
  { hours: 24 * 7, label: '1 week' },
];

/**
 * Mute until a time, with a reason: a rule (`services` absent) or a whole service (choose it).
 * `onMute({until, reason, service})` does the call (and closes the dialog); its error stays in the dialog.
 */
function validateMute(form) {
  const errors = {};
  const until = new Date(form.until);
  if (Number.isNaN(until.getTime()) || until <= new Date()) errors.until = 'Choose a time in the future.';
  if (!form.reason.trim()) errors.reason = 'Say why, for whoever wonders why nothing was sent.';
  return errors;
}

export default function MuteDialog({ open, title, services, onClose, onMute }) {
  const dialog = useFormDialog({
    open,
    initial: () => ({
      until: toLocalInputValue(new Date(muteUntil(1))),
      reason: '',
      service: services?.[0]?.name ?? '',
    }),
    validate: validateMute,
    save: (values) =>
      onMute({ until: new Date(values.until).toISOString(), reason: values.reason.trim(), service: values.service }),
    onSaved: () => {},
  });
  const { form, change, errors } = dialog;

  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={title}
      testId="mute"
      form={dialog}
      submitLabel="Mute"
      maxWidth="xs"
    >
      {services && (
        <SelectField
          label="Service"
          value={form.service}
          onChange={(service) => change('service', service)}
          testId="mute-service"
          options={services.map((s) => ({ value: s.name, label: showValue(s.name) }))}
        />
      )}
      <TextField
        size="small"
        type="datetime-local"
        label="Muted until"
        value={form.until}
        onChange={(event) => change('until', event.target.value)}
        error={Boolean(errors.until)}
        helperText={errors.until}
        slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'mute-until' } }}
      />
      <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap' }}>
        {PRESETS.map((preset) => (
          <Button
            key={preset.hours}
            size="small"
            variant="outlined"
            onClick={() => change('until', toLocalInputValue(new Date(muteUntil(preset.hours))))}
            data-testid={`mute-preset-${preset.hours}h`}
          >
            {preset.label}
          </Button>
        ))}
      </Stack>
      <TextField
        size="small"
        label="Reason"
        value={form.reason}
        onChange={(event) => change('reason', event.target.value)}
        error={Boolean(errors.reason)}
        helperText={errors.reason}
        slotProps={{ htmlInput: { 'data-testid': 'mute-reason', maxLength: 500 } }}
      />
    </FormDialog>
  );
}
