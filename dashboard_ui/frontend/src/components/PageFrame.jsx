import Box from '@mui/material/Box';
import Container from '@mui/material/Container';
import Stack from '@mui/material/Stack';
import TopBar from './TopBar.jsx';

/**
 * A signed-in page: the top bar, then the page's sections in a column. `page` is the props
 * every page gets from App (user, view, setView, mode, onToggleTheme, onLogout); the rest
 * tells the bar when the page's data was loaded and how to reload it.
 */
export default function PageFrame({ page, updatedAt, refreshMs, refreshing, onRefresh, children }) {
  const { user, view, setView, mode, onToggleTheme, onLogout } = page;
  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default' }}>
      <TopBar
        user={user}
        view={view}
        setView={setView}
        mode={mode}
        onToggleTheme={onToggleTheme}
        onLogout={onLogout}
        updatedAt={updatedAt}
        refreshMs={refreshMs}
        refreshing={refreshing}
        onRefresh={onRefresh}
      />
      <Container component="main" maxWidth="xl" sx={{ py: { xs: 1.5, sm: 3 }, px: { xs: 1.5, sm: 3 } }}>
        <Stack spacing={2}>{children}</Stack>
      </Container>
    </Box>
  );
}
