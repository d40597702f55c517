import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import LoginPage from './components/LoginPage.jsx';
import { useUrlState } from './hooks/useUrlState.js';
import { api } from './lib/api.js';
import { readConfig } from './lib/config.js';
import { parseUrlState } from './lib/urlState.js';
import { PAGES } from './pages.js';
import { buildTheme, storeThemeMode, storedThemeMode, systemThemeMode } from './theme.js';

// Each page's code loads once, when first shown. The page the URL asks for (and, from the
// dashboard, the chart library) loads in parallel with the session check, but the login page
// does not wait for it.
function lazyPage(load) {
  let module = null;
  const preload = () => (module ??= load());
  return { Component: lazy(preload), preload };
}
const PAGE_VIEWS = Object.fromEntries(PAGES.map(({ key, load }) => [key, lazyPage(load)]));
PAGE_VIEWS[parseUrlState(window.location.search).page].preload();

export const SESSION_EXPIRED = 'Your session has expired, please sign in again.';

export default function App() {
  const [view, setView] = useUrlState();
  const [storedMode, setStoredMode] = useState(() => storedThemeMode() ?? systemThemeMode());
  // A theme in the URL (a shared link) wins over the remembered one.
  const mode = view.theme ?? storedMode;
  const theme = useMemo(() => buildTheme(mode), [mode]);

  const toggleTheme = useCallback(() => {
    const next = mode === 'dark' ? 'light' : 'dark';
    storeThemeMode(next);
    setStoredMode(next);
    if (view.theme) setView({ theme: null }, { replace: true });
  }, [mode, view.theme, setView]);

  // checking → anonymous | authenticated | unavailable
  const [auth, setAuth] = useState({ status: 'checking' });

  const checkSession = useCallback(async (messageIfAnonymous = null) => {
    try {
      const who = await api.whoami();
      setAuth({ status: 'authenticated', user: who.user ?? {}, thresholds: who.thresholds ?? null });
    } catch (error) {
      if (error.isAuthError) setAuth({ status: 'anonymous', message: messageIfAnonymous });
      else setAuth({ status: 'unavailable', message: error.message });
    }
  }, []);

  useEffect(() => {
    // The page tells whether a session came with it: without one, show the login
    // form at once rather than ask the API and get a 401.
    if (readConfig().authenticated === false) setAuth({ status: 'anonymous', message: null });
    else checkSession();
  }, [checkSession]);

  const onSessionExpired = useCallback(() => {
    setAuth({ status: 'anonymous', message: { severity: 'warning', text: SESSION_EXPIRED } });
  }, []);

  const onLogout = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // The session may be gone already; the user wanted out either way.
    }
    setAuth({ status: 'anonymous', message: { severity: 'info', text: 'You have signed out.' } });
  }, []);

  const spinner = (
    <Box sx={{ display: 'grid', placeItems: 'center', minHeight: '100vh' }}>
      <CircularProgress aria-label="Loading" />
    </Box>
  );
  let page;
  if (auth.status === 'checking') {
    page = spinner;
  } else if (auth.status === 'unavailable') {
    page = (
      <Box sx={{ display: 'grid', placeItems: 'center', minHeight: '100vh', p: 2 }}>
        <Alert
          severity="error"
          data-testid="error-banner"
          action={
            <Button color="inherit" size="small" data-testid="retry" onClick={() => checkSession()}>
              Retry
            </Button>
          }
        >
          {auth.message}
        </Alert>
      </Box>
    );
  } else if (auth.status === 'anonymous') {
    page = (
      <LoginPage
        message={auth.message}
        onLoggedIn={() =>
          checkSession({ severity: 'error', text: 'Signed in, but the session was not kept: are cookies enabled?' })
        }
        mode={mode}
        onToggleTheme={toggleTheme}
      />
    );
  } else {
    const Page = PAGE_VIEWS[view.page].Component;
    page = (
      <Suspense fallback={spinner}>
        <Page
          user={auth.user}
          thresholds={auth.thresholds}
          view={view}
          setView={setView}
          mode={mode}
          onToggleTheme={toggleTheme}
          onLogout={onLogout}
          onSessionExpired={onSessionExpired}
        />
      </Suspense>
    );
  }

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline enableColorScheme />
      {page}
    </ThemeProvider>
  );
}
