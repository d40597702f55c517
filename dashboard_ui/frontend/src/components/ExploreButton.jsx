import IconButton from '@mui/material/IconButton';
import SvgIcon from '@mui/material/SvgIcon';

// Material's "manage search" icon: a list and a magnifier.
const PATH =
  'M7 9H2V7h5v2zm0 3H2v2h5v-2zm13.59 7-3.83-3.83c-.8.52-1.74.83-2.76.83-2.76 0-5-2.24-5-5s2.24-5 5-5 ' +
  '5 2.24 5 5c0 1.02-.31 1.96-.83 2.75L22 17.59 20.59 19zM17 11c0-1.65-1.35-3-3-3s-3 1.35-3 3 1.35 3 3 3 ' +
  '3-1.35 3-3zM2 19h10v-2H2v2z';

export function ExploreIcon(props) {
  return (
    <SvgIcon {...props}>
      <path d={PATH} />
    </SvgIcon>
  );
}

/**
 * "Show the requests behind this": a small button inside a clickable row or next to a chip. It
 * keeps its click and keys to itself, so the row's own action (filtering) does not run too.
 */
export default function ExploreButton({ label, onClick, testId }) {
  return (
    <IconButton
      size="small"
      aria-label={label}
      title={label}
      data-testid={testId}
      onClick={(event) => {
        event.stopPropagation();
        onClick();
      }}
      onKeyDown={(event) => event.stopPropagation()}
      sx={{ p: 0.25, flexShrink: 0 }}
    >
      <ExploreIcon sx={{ fontSize: 18 }} />
    </IconButton>
  );
}
