import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormLabel from '@mui/material/FormLabel';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useId, useState } from 'react';
import {
  METRICS,
  SCOPE_KEYS,
  SEVERITIES,
  emptyRuleForm,
  metricOf,
  ruleFormToBody,
  ruleToForm,
  validateRuleForm,
} from '../../lib/alerts.js';
import { alertsApi, api } from '../../lib/api.js';
import { showValue } from '../../lib/format.js';
import SelectField from './SelectField.jsx';
import FormDialog from './FormDialog.jsx';
import { useFormDialog } from './useFormDialog.js';

const SCOPE_LABELS = { endpoint: 'Endpoint', method: 'Method', consumer: 'Consumer', node: 'Node' };

function thresholdLabel(metric) {
  const { unit } = metricOf(metric);
  if (metric === 'apdex_below') return 'Threshold (Apdex, 0 to 1)';
  if (metric === 'burn_rate') return 'Threshold (times the budget rate)';
  return unit ? `Threshold (${unit})` : 'Threshold';
}

/** The endpoints, methods, consumers and nodes seen for the service lately, as suggestions. */
function useScopeChoices(open, service) {
  const [choices, setChoices] = useState({});
  useEffect(() => {
    if (!open) return undefined;
    const controller = new AbortController();
    api
      .filters({ service: service || undefined }, controller.signal)
      .then((body) => setChoices(body ?? {}))
      // Suggestions only: any value can still be typed.
      .catch(() => {});
    return () => controller.abort();
  }, [open, service]);
  return choices;
}

function NumberField({ field, label, form, errors, onChange, helperText, inputProps }) {
  return (
    <TextField
      size="small"
      type="number"
      label={label}
      value={form[field]}
      onChange={(event) => onChange(field, event.target.value)}
      error={Boolean(errors[field])}
      helperText={errors[field] ?? helperText}
      slotProps={{ htmlInput: { 'data-testid': `rule-${field}`, 'aria-label': label, ...inputProps } }}
    />
  );
}

export default function RuleDialog({ open, rule, tenants, services, channels, onClose, onSaved }) {
  const listId = useId();
  const dialog = useFormDialog({
    open,
    initial: () => (rule ? ruleToForm(rule) : emptyRuleForm(tenants.length > 1 ? tenants[0] : '')),
    validate: validateRuleForm,
    save: (values) => {
      const body = ruleFormToBody(values);
      return rule ? alertsApi.updateRule(rule.id, body) : alertsApi.createRule(body);
    },
    onSaved,
  });
  const { form, setForm, change, errors } = dialog;

  const choices = useScopeChoices(open, form.service);
  const tenantServices = services.filter((s) => !form.tenant || !s.tenant || s.tenant === form.tenant);
  const tenantChannels = channels.filter((c) => !form.tenant || !c.tenant || c.tenant === form.tenant);
  const silence = form.metric === 'silence';

  const toggleChannel = (id) =>
    change('channels', form.channels.includes(id) ? form.channels.filter((c) => c !== id) : [...form.channels, id]);

  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={rule ? `Edit rule “${rule.name}”` : 'New alert rule'}
      testId="rule"
      form={dialog}
      submitLabel={rule ? 'Save' : 'Create rule'}
      sx={{ gridTemplateColumns: { xs: '1fr', sm: '1fr 1fr' } }}
    >
      <TextField
        size="small"
        label="Name"
        value={form.name}
        onChange={(event) => change('name', event.target.value)}
        error={Boolean(errors.name)}
        helperText={errors.name}
        autoFocus
        sx={{ gridColumn: '1 / -1' }}
        slotProps={{ htmlInput: { 'data-testid': 'rule-name', maxLength: 200 } }}
      />
      {tenants.length > 1 && (
        <SelectField
          label="Tenant"
          value={form.tenant}
          onChange={(tenant) => setForm((p) => ({ ...p, tenant, service: '', channels: [] }))}
          testId="rule-tenant"
          options={tenants}
          disabled={Boolean(rule)}
          sx={{ gridColumn: '1 / -1' }}
        />
      )}
      <SelectField
        label="Metric"
        value={form.metric}
        onChange={(metric) => change('metric', metric)}
        testId="rule-metric"
        options={METRICS.map((metric) => ({ value: metric.key, label: metric.label }))}
        error={Boolean(errors.metric)}
        helperText={errors.metric}
      />
      <SelectField
        label="Service"
        value={form.service}
        onChange={(service) => change('service', service)}
        testId="rule-service"
        any="All services"
        options={tenantServices.map((service) => ({ value: service.name, label: showValue(service.name) }))}
      />
      {SCOPE_KEYS.map((key) => (
        <TextField
          key={key}
          size="small"
          label={SCOPE_LABELS[key]}
          placeholder="any"
          value={form[key]}
          onChange={(event) => change(key, event.target.value)}
          helperText={silence && key === 'node' ? '* watches each node of the service' : undefined}
          slotProps={{
            inputLabel: { shrink: true },
            htmlInput: { 'data-testid': `rule-${key}`, list: `${listId}-${key}`, maxLength: 500 },
          }}
        />
      ))}
      {SCOPE_KEYS.map((key) => (
        <datalist key={key} id={`${listId}-${key}`}>
          {(choices[`${key}s`] ?? [])
            .filter((value) => value !== null && value !== '')
            .map((value) => (
              <option key={value} value={value} />
            ))}
        </datalist>
      ))}
      <NumberField
        field="window_minutes"
        label={silence ? 'Silent for (minutes)' : 'Window (minutes)'}
        helperText={silence ? 'No request for this long fires' : 'Measured over the last 1 to 60 minutes'}
        form={form}
        errors={errors}
        onChange={change}
        inputProps={{ min: 1, max: 60, step: 1 }}
      />
      {!silence && (
        <NumberField
          field="threshold"
          label={thresholdLabel(form.metric)}
          form={form}
          errors={errors}
          onChange={change}
          inputProps={{ min: 0, step: 'any' }}
        />
      )}
      <NumberField
        field="for_minutes"
        label="For (minutes)"
        helperText="How long the condition must hold before it fires"
        form={form}
        errors={errors}
        onChange={change}
        inputProps={{ min: 0, step: 1 }}
      />
      {!silence && (
        <NumberField
          field="min_requests"
          label="Minimum requests"
          helperText="Fewer requests in the window never fire"
          form={form}
          errors={errors}
          onChange={change}
          inputProps={{ min: 0, step: 1 }}
        />
      )}
      <SelectField
        label="Severity"
        value={form.severity}
        onChange={(severity) => change('severity', severity)}
        testId="rule-severity"
        options={SEVERITIES}
      />
      <FormControlLabel
        control={
          <Switch
            checked={form.enabled}
            onChange={(event) => change('enabled', event.target.checked)}
            slotProps={{ input: { 'data-testid': 'rule-enabled' } }}
          />
        }
        label="Enabled"
      />
      <Box component="fieldset" sx={{ gridColumn: '1 / -1', border: 0, p: 0, m: 0 }}>
        <FormLabel component="legend">Notify</FormLabel>
        {tenantChannels.length ? (
          <FormGroup row>
            {tenantChannels.map((channel) => (
              <FormControlLabel
                key={channel.id}
                control={
                  <Checkbox
                    checked={form.channels.includes(channel.id)}
                    onChange={() => toggleChannel(channel.id)}
                    slotProps={{ input: { 'data-testid': `rule-channel-${channel.id}` } }}
                  />
                }
                label={`${channel.name} (${channel.kind})`}
              />
            ))}
          </FormGroup>
        ) : (
          <Typography variant="body2" color="text.secondary">
            No channels yet: the rule's state still shows here. Add a channel below to be notified.
          </Typography>
        )}
      </Box>
    </FormDialog>
  );
}
