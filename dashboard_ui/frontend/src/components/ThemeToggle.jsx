import IconButton from '@mui/material/IconButton';
import { DarkModeIcon, LightModeIcon } from './icons.jsx';

export default function ThemeToggle({ mode, onToggle, color = 'inherit' }) {
  const label = mode === 'dark' ? 'Switch to light theme' : 'Switch to dark theme';
  return (
    <IconButton
      color={color}
      onClick={onToggle}
      aria-label={label}
      title={label}
      data-testid="theme-toggle"
      data-mode={mode}
    >
      {mode === 'dark' ? <LightModeIcon /> : <DarkModeIcon />}
    </IconButton>
  );
}
