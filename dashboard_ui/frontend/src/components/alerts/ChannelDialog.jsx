import TextField from '@mui/material/TextField';
import {
  CHANNEL_KINDS,
  channelFormToBody,
  channelToForm,
  emptyChannelForm,
  validateChannelForm,
} from '../../lib/alerts.js';
import { alertsApi } from '../../lib/api.js';
import SelectField from './SelectField.jsx';
import FormDialog from './FormDialog.jsx';
import { useFormDialog } from './useFormDialog.js';

/** Create or edit a channel. The secret is write-only: typed here, never shown again. */
export default function ChannelDialog({ open, channel, tenants, onClose, onSaved }) {
  const dialog = useFormDialog({
    open,
    initial: () => (channel ? channelToForm(channel) : emptyChannelForm(tenants.length > 1 ? tenants[0] : '')),
    validate: validateChannelForm,
    save: (values) => {
      const body = channelFormToBody(values);
      return channel ? alertsApi.updateChannel(channel.id, body) : alertsApi.createChannel(body);
    },
    onSaved,
  });
  const { form, change, errors } = dialog;
  const kind = CHANNEL_KINDS.find((k) => k.key === form.kind) ?? CHANNEL_KINDS[0];

  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={channel ? `Edit channel “${channel.name}”` : 'New channel'}
      testId="channel"
      form={dialog}
      submitLabel={channel ? 'Save' : 'Create channel'}
    >
      <TextField
        size="small"
        label="Name"
        value={form.name}
        onChange={(event) => change('name', event.target.value)}
        error={Boolean(errors.name)}
        helperText={errors.name}
        autoFocus
        slotProps={{ htmlInput: { 'data-testid': 'channel-name', maxLength: 200 } }}
      />
      {tenants.length > 1 && (
        <SelectField
          label="Tenant"
          value={form.tenant}
          onChange={(tenant) => change('tenant', tenant)}
          testId="channel-tenant"
          options={tenants}
          disabled={Boolean(channel)}
        />
      )}
      <SelectField
        label="Kind"
        value={form.kind}
        onChange={(kind) => change('kind', kind)}
        testId="channel-kind"
        options={CHANNEL_KINDS.map((k) => ({ value: k.key, label: k.label }))}
      />
      <TextField
        size="small"
        label={kind.target}
        value={form.target}
        onChange={(event) => change('target', event.target.value)}
        error={Boolean(errors.target)}
        helperText={errors.target}
        slotProps={{ htmlInput: { 'data-testid': 'channel-target', maxLength: 2000 } }}
      />
      {form.kind === 'webhook' && (
        <TextField
          size="small"
          type="password"
          autoComplete="new-password"
          label="Signing secret (HMAC-SHA256)"
          value={form.secret}
          onChange={(event) => change('secret', event.target.value)}
          placeholder={channel?.has_secret ? 'secret set: type a new one to replace it' : 'optional'}
          helperText={
            channel?.has_secret
              ? 'A secret is set and is never shown again; leave this empty to keep it.'
              : 'Shown only while you type: after saving, the dashboard says only that a secret is set.'
          }
          slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'channel-secret' } }}
        />
      )}
    </FormDialog>
  );
}
