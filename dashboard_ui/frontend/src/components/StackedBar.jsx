import Box from '@mui/material/Box';
import { formatCount } from '../lib/format.js';

/**
 * A horizontal bar split into coloured segments; `scale` (0..1) shortens the whole
 * bar so rows compare with each other.
 */
export default function StackedBar({ segments, scale = 1, height = 10, label }) {
  const total = segments.reduce((sum, s) => sum + (s.value || 0), 0);
  return (
    <Box
      role="img"
      aria-label={label}
      sx={{ display: 'flex', width: `${Math.max(scale, 0.02) * 100}%`, height, borderRadius: 1, overflow: 'hidden' }}
    >
      {total > 0 &&
        segments
          .filter((s) => s.value > 0)
          .map((s) => (
            <Box
              key={s.key}
              title={`${s.label}: ${formatCount(s.value)}`}
              sx={{ flexGrow: s.value, flexBasis: 0, bgcolor: s.color, minWidth: 2 }}
            />
          ))}
    </Box>
  );
}
