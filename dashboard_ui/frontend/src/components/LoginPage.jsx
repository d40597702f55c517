import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { api } from '../lib/api.js';
import Logo from './Logo.jsx';
import ThemeToggle from './ThemeToggle.jsx';

function loginErrorText(error) {
  if (error.status === 429) return 'Too many sign-in attempts. Please wait a minute and try again.';
  if (error.status === 0) return error.message;
  return error.message || 'Sign-in failed.';
}

export default function LoginPage({ message, onLoggedIn, mode, onToggleTheme }) {
  const [tab, setTab] = useState('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (tab === 'password') await api.login(username, password);
      else await api.loginWithKey(apiKey.trim());
      setPassword('');
      setApiKey('');
      await onLoggedIn();
    } catch (err) {
      setError(loginErrorText(err));
      setBusy(false);
    }
  }

  const canSubmit = tab === 'password' ? username && password : apiKey.trim();

  return (
    <Box component="main" sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2 }}>
      <Box sx={{ position: 'fixed', top: 8, right: 8 }}>
        <ThemeToggle mode={mode} onToggle={onToggleTheme} />
      </Box>
      <Paper variant="outlined" sx={{ width: '100%', maxWidth: 400, p: { xs: 3, sm: 4 } }}>
        <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center', mb: 1 }}>
          <Logo size={36} />
          <Box>
            <Typography variant="h5" component="h1" sx={{ fontWeight: 700, lineHeight: 1.1 }}>
              Malti
            </Typography>
            <Typography variant="body2" color="text.secondary">
              API telemetry
            </Typography>
          </Box>
        </Stack>
        {message && (
          <Alert severity={message.severity} sx={{ mt: 2 }} data-testid="login-message">
            {message.text}
          </Alert>
        )}
        <Tabs
          value={tab}
          onChange={(_, value) => {
            setTab(value);
            setError(null);
          }}
          variant="fullWidth"
          sx={{ mt: 2, mb: 1 }}
        >
          <Tab value="password" label="Password" data-testid="login-tab-password" />
          <Tab value="apikey" label="API key" data-testid="login-tab-apikey" />
        </Tabs>
        <Box component="form" onSubmit={submit} noValidate data-testid="login-form">
          {tab === 'password' ? (
            <Stack spacing={2} sx={{ mt: 1 }}>
              <TextField
                label="Username"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                autoComplete="username"
                autoFocus
                required
                slotProps={{ htmlInput: { 'data-testid': 'login-username', autoCapitalize: 'none' } }}
              />
              <TextField
                label="Password"
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="current-password"
                required
                slotProps={{ htmlInput: { 'data-testid': 'login-password' } }}
              />
            </Stack>
          ) : (
            <Stack spacing={2} sx={{ mt: 1 }}>
              <Typography variant="body2" color="text.secondary">
                Sign in with an API key: the user key you used with the previous Malti dashboard.
              </Typography>
              <TextField
                label="API key"
                type="password"
                value={apiKey}
                onChange={(e) => setApiKey(e.target.value)}
                autoComplete="off"
                autoFocus
                required
                slotProps={{ htmlInput: { 'data-testid': 'login-apikey', spellCheck: false } }}
              />
            </Stack>
          )}
          {error && (
            <Alert severity="error" sx={{ mt: 2 }} data-testid="login-error">
              {error}
            </Alert>
          )}
          <Button
            type="submit"
            variant="contained"
            size="large"
            fullWidth
            disabled={busy || !canSubmit}
            sx={{ mt: 3 }}
            data-testid="login-submit"
          >
            {busy ? 'Signing in…' : tab === 'password' ? 'Sign in' : 'Sign in with an API key'}
          </Button>
        </Box>
      </Paper>
    </Box>
  );
}
