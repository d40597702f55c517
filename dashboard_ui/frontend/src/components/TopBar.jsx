import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { formatClock } from '../lib/format.js';
import { serializeUrlState } from '../lib/urlState.js';
import { PAGES } from '../pages.js';
import { LogoutIcon, RefreshIcon } from './icons.jsx';
import Logo from './Logo.jsx';
import ThemeToggle from './ThemeToggle.jsx';

// Out of sight on a phone, where the page links need the room, but still read out as the heading.
const HIDDEN = {
  position: 'absolute',
  width: '1px',
  height: '1px',
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
};

/**
 * Links to the app's pages. Each is a real link to the view on that page (so it opens in a new
 * tab too); a plain click switches page in place, keeping the range and filters.
 */
function PageNav({ view, setView }) {
  return (
    <Box component="nav" aria-label="Pages" sx={{ display: 'flex', gap: { xs: 0, sm: 0.5 }, minWidth: 0 }}>
      {PAGES.map(({ key, label }) => {
        const current = view.page === key;
        const query = serializeUrlState({ ...view, page: key });
        return (
          <Button
            key={key}
            href={`${window.location.pathname}${query ? `?${query}` : ''}`}
            onClick={(event) => {
              if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
              event.preventDefault();
              if (!current) setView({ page: key });
            }}
            aria-current={current ? 'page' : undefined}
            color={current ? 'primary' : 'inherit'}
            size="small"
            data-testid={`nav-${key}`}
            sx={{
              minWidth: 0,
              px: { xs: 0.75, sm: 1.25 },
              fontWeight: current ? 700 : 500,
              borderBottom: 2,
              borderRadius: 0,
              borderColor: current ? 'primary.main' : 'transparent',
            }}
          >
            {label}
          </Button>
        );
      })}
    </Box>
  );
}

/** The bar above every page: name, pages, last update, refresh, theme, user and sign-out. */
export default function TopBar({
  user,
  view,
  setView,
  mode,
  onToggleTheme,
  onLogout,
  updatedAt,
  refreshMs,
  refreshing,
  onRefresh,
}) {
  const tenants = user?.tenants?.length ? user.tenants.join(', ') : '';
  return (
    <AppBar position="sticky" color="inherit" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
      <Toolbar sx={{ gap: { xs: 0.5, sm: 1 }, minHeight: { xs: 56 }, px: { xs: 1, sm: 2 } }}>
        <Logo />
        <Typography variant="h6" component="h1" sx={(theme) => ({ mr: 1, [theme.breakpoints.down('sm')]: HIDDEN })}>
          Malti
        </Typography>
        <PageNav view={view} setView={setView} />
        <Box sx={{ flexGrow: 1 }} />
        {updatedAt && (
          <Typography
            variant="caption"
            color="text.secondary"
            data-testid="last-updated"
            title={refreshMs ? `Refreshes every ${refreshMs / 1000} s` : 'This range does not refresh by itself'}
            sx={{ whiteSpace: 'nowrap', display: { xs: 'none', sm: 'block' } }}
          >
            Updated {formatClock(updatedAt)}
          </Typography>
        )}
        <IconButton
          onClick={onRefresh}
          disabled={refreshing}
          aria-label="Refresh now"
          title="Refresh now"
          data-testid="refresh"
        >
          <RefreshIcon />
        </IconButton>
        <ThemeToggle mode={mode} onToggle={onToggleTheme} />
        <Box sx={{ display: { xs: 'none', md: 'block' }, textAlign: 'right', mx: 1, minWidth: 0 }}>
          <Typography variant="body2" data-testid="user-name" noWrap sx={{ maxWidth: 220 }}>
            {user?.name}
          </Typography>
          {tenants && (
            <Typography variant="caption" color="text.secondary" component="div" noWrap sx={{ maxWidth: 220 }}>
              {tenants}
            </Typography>
          )}
        </Box>
        <Button
          color="inherit"
          onClick={onLogout}
          data-testid="logout"
          startIcon={<LogoutIcon />}
          sx={{ minWidth: 0, '& .MuiButton-startIcon': { mr: { xs: 0, sm: 1 } } }}
          aria-label="Sign out"
          title="Sign out"
        >
          <Box component="span" sx={{ display: { xs: 'none', sm: 'inline' } }}>
            Sign out
          </Box>
        </Button>
      </Toolbar>
      <Box sx={{ height: 2 }}>{refreshing && <LinearProgress sx={{ height: 2 }} />}</Box>
    </AppBar>
  );
}
