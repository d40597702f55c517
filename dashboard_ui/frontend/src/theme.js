import { createTheme } from '@mui/material/styles';

const STORAGE_KEY = 'malti.theme';

export function storedThemeMode() {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

export function storeThemeMode(mode) {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, mode);
  } catch {
    // Private mode or storage disabled: the toggle still works for this page.
  }
}

export function systemThemeMode() {
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

// Series colours readable on both backgrounds.
export const SERIES = {
  min: '#26a69a',
  avg: '#42a5f5',
  p50: '#7e57c2',
  p95: '#ffa726',
  p99: '#ef5350',
  max: '#8d6e63',
  count: '#90a4ae',
  success: '#43a047',
  error: '#e53935',
  '2xx': '#43a047',
  '3xx': '#1e88e5',
  '4xx': '#fb8c00',
  '5xx': '#e53935',
  other: '#9e9e9e',
};

export function buildTheme(mode) {
  return createTheme({
    palette: {
      mode,
      primary: { main: mode === 'dark' ? '#64b5f6' : '#1565c0' },
      background: mode === 'dark' ? { default: '#0f1216', paper: '#171b21' } : { default: '#f4f6f8', paper: '#ffffff' },
    },
    shape: { borderRadius: 10 },
    typography: {
      // System fonts only: nothing is fetched from a CDN.
      fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
      h6: { fontWeight: 600 },
    },
    components: {
      MuiPaper: { defaultProps: { elevation: 0 }, styleOverrides: { root: { backgroundImage: 'none' } } },
      MuiCard: { defaultProps: { variant: 'outlined' } },
      MuiButton: { styleOverrides: { root: { textTransform: 'none' } } },
      MuiToggleButton: { styleOverrides: { root: { textTransform: 'none' } } },
      MuiTab: { styleOverrides: { root: { textTransform: 'none' } } },
      MuiTableCell: { styleOverrides: { root: { paddingTop: 6, paddingBottom: 6 } } },
    },
  });
}
