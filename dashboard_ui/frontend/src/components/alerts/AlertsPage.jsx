import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useCallback, useMemo, useState } from 'react';
import { ADMIN_ONLY, alertsErrorText, canEditTenant } from '../../lib/alerts.js';
import { alertsApi } from '../../lib/api.js';
import PageFrame from '../PageFrame.jsx';
import { DashboardSkeleton, ErrorBanner } from '../States.jsx';
import ChannelDialog from './ChannelDialog.jsx';
import ChannelsPanel from './ChannelsPanel.jsx';
import ConfirmDialog from './ConfirmDialog.jsx';
import DeliveriesPanel from './DeliveriesPanel.jsx';
import FiringPanel from './FiringPanel.jsx';
import HistoryDialog from './HistoryDialog.jsx';
import MuteDialog from './MuteDialog.jsx';
import RuleDialog from './RuleDialog.jsx';
import RulesPanel from './RulesPanel.jsx';
import ServiceMutesPanel from './ServiceMutesPanel.jsx';
import { useAlertsData } from './useAlertsData.js';

/**
 * The Alerts page (page=alerts): what is firing, the rules (create, edit, mute, history), channels,
 * muted services and deliveries. Only tenant admins may change anything: when the server
 * says who is one, the others see no edit controls; otherwise the API's 403 is explained.
 */
export default function AlertsPage(page) {
  const { user, onSessionExpired } = page;
  const { data, error, loading, reload, updatedAt } = useAlertsData({ onSessionExpired });
  const tenants = useMemo(() => user?.tenants ?? [], [user]);
  const editable = canEditTenant(user) !== false;

  // Which dialog is open, and on what.
  const [ruleDialog, setRuleDialog] = useState(null); // {rule: null | rule}
  const [channelDialog, setChannelDialog] = useState(null); // {channel: null | channel}
  const [muting, setMuting] = useState(null); // {rule} or {service: true}
  const [historyRule, setHistoryRule] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [notice, setNotice] = useState(null);

  const done = useCallback(
    (text) => {
      setRuleDialog(null);
      setChannelDialog(null);
      setMuting(null);
      setActionError(null);
      setNotice(text);
      reload();
    },
    [reload],
  );

  const unmute = async (rule) => {
    try {
      await alertsApi.unmute(rule.id);
      done(`“${rule.name}” is no longer muted.`);
    } catch (err) {
      setActionError(alertsErrorText(err));
    }
  };

  const mute = async ({ until, reason, service }) => {
    if (muting.rule) {
      await alertsApi.mute(muting.rule.id, until, reason);
      done(`“${muting.rule.name}” is muted.`);
    } else {
      await alertsApi.createSilence({ service, until, reason });
      done(`${service} is muted.`);
    }
  };

  const askDelete = (kind, item, action) =>
    setConfirm({
      title: `Delete ${kind} “${item.name ?? item.service}”?`,
      text:
        kind === 'rule'
          ? 'Its history and deliveries go with it.'
          : 'Rules that notify it stop notifying it. This cannot be undone.',
      action: async () => {
        await action();
        done(null);
      },
    });

  const frame = (children) => (
    <PageFrame page={page} updatedAt={updatedAt} refreshing={loading} onRefresh={reload}>
      {children}
    </PageFrame>
  );
  if (loading && !data) return frame(<DashboardSkeleton />);
  if (error && !data) return frame(<ErrorBanner message={error} onRetry={reload} />);

  const { rules, firing, channels, silences, services } = data;
  return frame(
    <Stack spacing={2} data-testid="alerts-page">
      <Box>
        <Typography variant="h5" component="h2" sx={{ fontWeight: 600 }}>
          Alerts
        </Typography>
        <Typography variant="body2" color="text.secondary">
          Rules on your services' numbers, and who is told when one fires.
        </Typography>
      </Box>
      {!editable && (
        <Alert severity="info" data-testid="alerts-read-only">
          You can see alerts; {ADMIN_ONLY.charAt(0).toLowerCase() + ADMIN_ONLY.slice(1)}
        </Alert>
      )}
      {error && <ErrorBanner message={error} onRetry={reload} />}
      {actionError && (
        <Alert severity="error" data-testid="alerts-action-error" onClose={() => setActionError(null)}>
          {actionError}
        </Alert>
      )}
      {notice && (
        <Alert severity="success" data-testid="alerts-notice" onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      )}

      <FiringPanel firing={firing} rules={rules} />
      <RulesPanel
        rules={rules}
        editable={editable}
        onCreate={() => setRuleDialog({ rule: null })}
        onEdit={(rule) => setRuleDialog({ rule })}
        onMute={(rule) => setMuting({ rule })}
        onUnmute={unmute}
        onHistory={setHistoryRule}
        onDelete={(rule) => askDelete('rule', rule, () => alertsApi.deleteRule(rule.id))}
      />
      <Box
        sx={{
          display: 'grid',
          gap: 2,
          gridTemplateColumns: { xs: 'minmax(0, 1fr)', lg: 'minmax(0, 2fr) minmax(0, 1fr)' },
        }}
      >
        <ChannelsPanel
          channels={channels}
          editable={editable}
          onCreate={() => setChannelDialog({ channel: null })}
          onEdit={(channel) => setChannelDialog({ channel })}
          onDelete={(channel) => askDelete('channel', channel, () => alertsApi.deleteChannel(channel.id))}
        />
        <ServiceMutesPanel
          silences={silences}
          editable={editable}
          onCreate={() => setMuting({ service: true })}
          onDelete={(silence) => askDelete('service mute', silence, () => alertsApi.deleteSilence(silence.id))}
        />
      </Box>
      <DeliveriesPanel rules={rules} updatedAt={updatedAt} />

      <RuleDialog
        open={Boolean(ruleDialog)}
        rule={ruleDialog?.rule ?? null}
        tenants={tenants}
        services={services}
        channels={channels}
        onClose={() => setRuleDialog(null)}
        onSaved={(saved) => done(`Rule “${saved?.name ?? ''}” saved.`)}
      />
      <ChannelDialog
        open={Boolean(channelDialog)}
        channel={channelDialog?.channel ?? null}
        tenants={tenants}
        onClose={() => setChannelDialog(null)}
        onSaved={(saved) => done(`Channel “${saved?.name ?? ''}” saved${saved?.has_secret ? ' (secret set)' : ''}.`)}
      />
      <MuteDialog
        open={Boolean(muting)}
        title={muting?.rule ? `Mute “${muting.rule.name}”` : 'Mute a service'}
        services={muting?.rule ? undefined : services}
        onClose={() => setMuting(null)}
        onMute={mute}
      />
      <HistoryDialog rule={historyRule} onClose={() => setHistoryRule(null)} />
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </Stack>,
  );
}
