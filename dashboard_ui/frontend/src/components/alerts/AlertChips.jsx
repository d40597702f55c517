import Chip from '@mui/material/Chip';
import { SEVERITY_COLOR, STATE_COLOR, formatWhen, isMuted } from '../../lib/alerts.js';

export function SeverityChip({ severity, testId = 'severity' }) {
  return (
    <Chip
      size="small"
      variant="outlined"
      color={SEVERITY_COLOR[severity] ?? 'default'}
      label={severity}
      data-testid={testId}
      data-severity={severity}
    />
  );
}

/** The rule's state; a muted rule says so, since it notifies nobody whatever its state. */
export function StateChip({ rule, testId = 'rule-state' }) {
  const muted = isMuted(rule);
  return (
    <Chip
      size="small"
      color={STATE_COLOR[rule.state] ?? 'default'}
      variant={rule.state === 'ok' ? 'outlined' : 'filled'}
      label={muted ? `${rule.state ?? 'ok'} · muted` : (rule.state ?? 'ok')}
      title={muted ? `Muted until ${formatWhen(rule.muted_until)}: ${rule.mute_reason ?? ''}` : undefined}
      data-testid={testId}
      data-state={rule.state ?? 'ok'}
      data-muted={muted ? 'true' : 'false'}
    />
  );
}
