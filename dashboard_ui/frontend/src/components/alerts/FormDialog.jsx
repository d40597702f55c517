import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import { useId } from 'react';

/**
 * The Alerts page's dialogs: a form with a title, the API's refusal on top, Cancel and a
 * submit button; it cannot be closed while saving. Test ids: `<testId>-dialog`, `-error`, `-save`.
 */
export default function FormDialog({ open, onClose, title, testId, form, submitLabel, maxWidth = 'sm', sx, children }) {
  const titleId = useId();
  const { busy, submit, submitError } = form;
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth maxWidth={maxWidth} aria-labelledby={titleId}>
      <Box component="form" onSubmit={submit} noValidate data-testid={`${testId}-dialog`}>
        <DialogTitle id={titleId}>{title}</DialogTitle>
        {/* `&&` outweighs MUI's zero top padding after a title, which would clip the first label. */}
        <DialogContent sx={{ display: 'grid', gap: 2, alignContent: 'start', '&&': { pt: 1 }, ...sx }}>
          {submitError && (
            <Alert severity="error" data-testid={`${testId}-error`} sx={{ gridColumn: '1 / -1' }}>
              {submitError}
            </Alert>
          )}
          {children}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy} data-testid={`${testId}-cancel`}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy} data-testid={`${testId}-save`}>
            {submitLabel}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
