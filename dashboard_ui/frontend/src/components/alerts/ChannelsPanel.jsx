import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import { useState } from 'react';
import { CHANNEL_KINDS, alertsErrorText } from '../../lib/alerts.js';
import { alertsApi } from '../../lib/api.js';
import ListPanel from './ListPanel.jsx';

const KIND_LABEL = Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind.key, kind.label]));

/** Sends a test notification through a channel; the answer is shown above the table. */
function TestButton({ channel, onResult }) {
  const [busy, setBusy] = useState(false);
  async function test() {
    setBusy(true);
    onResult(null);
    try {
      const answer = await alertsApi.testChannel(channel.id);
      const delivered = Boolean(answer?.delivered);
      onResult({ channel, delivered, text: answer?.detail || (delivered ? 'Delivered.' : 'Not delivered.') });
    } catch (error) {
      onResult({ channel, delivered: false, text: alertsErrorText(error) });
    }
    setBusy(false);
  }
  return (
    <Button
      size="small"
      onClick={test}
      disabled={busy}
      data-testid="channel-test"
      aria-label={`Send a test notification to ${channel.name}`}
    >
      {busy ? 'Sending…' : 'Send test'}
    </Button>
  );
}

export default function ChannelsPanel({ channels, editable, onCreate, onEdit, onDelete }) {
  const [testResult, setTestResult] = useState(null);
  return (
    <ListPanel
      title="Channels"
      subtitle="Where notifications go: email, signed webhooks, Slack or Mattermost"
      testId="channels"
      create={editable && { label: 'New channel', onClick: onCreate }}
      empty={channels.length === 0}
      emptyText="No channels yet."
      before={
        testResult && (
          <Alert
            severity={testResult.delivered ? 'success' : 'error'}
            data-testid="channel-test-result"
            data-delivered={testResult.delivered ? 'true' : 'false'}
            onClose={() => setTestResult(null)}
            sx={{ mb: 1 }}
          >
            Test of “{testResult.channel.name}”: {testResult.text}
          </Alert>
        )
      }
    >
      <TableContainer>
        <Table size="small" aria-label="Notification channels">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Kind</TableCell>
              <TableCell>Target</TableCell>
              <TableCell>Secret</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {channels.map((channel) => (
              <TableRow key={channel.id} data-testid="channel-row" data-channel={channel.id} data-name={channel.name}>
                <TableCell sx={{ fontWeight: 600 }}>{channel.name}</TableCell>
                <TableCell>{KIND_LABEL[channel.kind] ?? channel.kind}</TableCell>
                <TableCell sx={{ overflowWrap: 'break-word', minWidth: 100 }}>{channel.target}</TableCell>
                <TableCell data-testid="channel-secret-state">{channel.has_secret ? 'secret set' : '–'}</TableCell>
                <TableCell align="right">
                  <Box sx={{ display: 'flex', gap: 0.5, justifyContent: 'flex-end', flexWrap: 'wrap' }}>
                    {editable && <TestButton channel={channel} onResult={setTestResult} />}
                    {editable && (
                      <>
                        <Button
                          size="small"
                          onClick={() => onEdit(channel)}
                          data-testid="channel-edit"
                          aria-label={`Edit channel ${channel.name}`}
                        >
                          Edit
                        </Button>
                        <Button
                          size="small"
                          color="error"
                          onClick={() => onDelete(channel)}
                          data-testid="channel-delete"
                          aria-label={`Delete channel ${channel.name}`}
                        >
                          Delete
                        </Button>
                      </>
                    )}
                  </Box>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </ListPanel>
  );
}
