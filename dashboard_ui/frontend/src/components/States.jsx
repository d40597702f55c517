import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { InboxIcon } from './icons.jsx';

export function ErrorBanner({ message, onRetry }) {
  return (
    <Alert
      severity="error"
      data-testid="error-banner"
      action={
        <Button color="inherit" size="small" onClick={onRetry} data-testid="retry">
          Retry
        </Button>
      }
    >
      {message}
    </Alert>
  );
}

export function EmptyState({ filtered, onClearFilters, onWiden }) {
  return (
    <Paper variant="outlined" data-testid="empty-state" sx={{ p: { xs: 3, sm: 6 }, textAlign: 'center' }}>
      <InboxIcon sx={{ fontSize: 48, color: 'text.disabled' }} />
      <Typography variant="h6" component="p" sx={{ mt: 1 }}>
        No requests in this range
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
        {filtered ? 'Nothing matched the filters in this time range.' : 'No service sent telemetry in this time range.'}
      </Typography>
      <Stack direction="row" spacing={1} sx={{ justifyContent: 'center', mt: 2 }}>
        {filtered && (
          <Button variant="outlined" onClick={onClearFilters}>
            Clear filters
          </Button>
        )}
        {onWiden && (
          <Button variant="outlined" onClick={onWiden}>
            Show the last 7 days
          </Button>
        )}
      </Stack>
    </Paper>
  );
}

export function DashboardSkeleton() {
  return (
    <Stack spacing={2} data-testid="loading" aria-busy="true" aria-label="Loading metrics">
      <Box
        sx={{
          display: 'grid',
          gap: 1.5,
          gridTemplateColumns: {
            xs: 'repeat(2, minmax(0, 1fr))',
            sm: 'repeat(3, minmax(0, 1fr))',
            md: 'repeat(5, minmax(0, 1fr))',
            lg: 'repeat(9, minmax(0, 1fr))',
          },
        }}
      >
        {Array.from({ length: 9 }, (_, i) => (
          <Skeleton key={i} variant="rounded" height={116} />
        ))}
      </Box>
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '1fr 2fr' } }}>
        <Skeleton variant="rounded" height={360} />
        <Skeleton variant="rounded" height={360} />
      </Box>
      <Skeleton variant="rounded" height={300} />
    </Stack>
  );
}
