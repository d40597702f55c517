import Typography from '@mui/material/Typography';
import { otherExplanation, otherNote } from '../lib/cardinality.js';

/** Under an "(other)" row: what it counts, with the longer explanation as its tooltip. */
export default function OtherNote({ dimension, sx }) {
  return (
    <Typography
      variant="caption"
      color="text.secondary"
      component="div"
      title={otherExplanation(dimension)}
      data-testid="other-note"
      sx={sx}
    >
      {otherNote(dimension)}
    </Typography>
  );
}
