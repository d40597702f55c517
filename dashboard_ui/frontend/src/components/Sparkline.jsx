import Box from '@mui/material/Box';

const WIDTH = 100;
const HEIGHT = 30;

/**
 * A tiny line from a series of numbers; nulls (empty buckets) break the line
 * rather than drawing a zero that never happened.
 */
export default function Sparkline({ values, color = 'currentColor', label }) {
  const finite = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (finite.length < 2) return <Box sx={{ height: HEIGHT }} />;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min || 1;
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
  const y = (v) => (HEIGHT - 2 - ((v - min) / span) * (HEIGHT - 4)).toFixed(2);

  let d = '';
  let penDown = false;
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      penDown = false;
      return;
    }
    d += `${penDown ? 'L' : 'M'}${(i * step).toFixed(2)},${y(v)}`;
    penDown = true;
  });

  return (
    <Box
      component="svg"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
      sx={{ width: '100%', height: HEIGHT, display: 'block', color }}
    >
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
    </Box>
  );
}
