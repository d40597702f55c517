import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import { useEffect, useId, useState } from 'react';
import { alertsErrorText } from '../../lib/alerts.js';

/** "Delete X?" with the call's error kept in the dialog (the page never uses window.confirm). */
export default function ConfirmDialog({ request, onClose }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  useEffect(() => {
    setError(null);
    setBusy(false);
  }, [request]);

  async function confirm() {
    setBusy(true);
    try {
      await request.action();
      onClose();
    } catch (err) {
      setError(alertsErrorText(err));
      setBusy(false);
    }
  }

  return (
    <Dialog open={Boolean(request)} onClose={busy ? undefined : onClose} aria-labelledby={titleId}>
      <DialogTitle id={titleId}>{request?.title}</DialogTitle>
      <DialogContent>
        {error && (
          <Alert severity="error" data-testid="confirm-error" sx={{ mb: 1 }}>
            {error}
          </Alert>
        )}
        <DialogContentText>{request?.text}</DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button color="error" variant="contained" onClick={confirm} disabled={busy} data-testid="confirm-ok">
          {request?.confirm ?? 'Delete'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
