import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Link from '@mui/material/Link';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { formatWhen } from '../lib/alerts.js';
import {
  OTHER,
  adminServiceUrl,
  canChangeLimits,
  describeLimit,
  distinctAdvice,
  noticeTitle,
  sortLimits,
} from '../lib/cardinality.js';
import { showValue } from '../lib/format.js';

const FIRST_SHOWN = 5;

function LimitHit({ hit, admin }) {
  const examples = hit.examples ?? [];
  const since = formatWhen(hit.since);
  const last = formatWhen(hit.last_folded);
  return (
    <Box
      component="li"
      data-testid="cardinality-limit"
      data-service={hit.service}
      data-dimension={hit.dimension}
      sx={{ mt: 0.5, wordBreak: 'break-word' }}
    >
      <Typography variant="body2" component="span">
        <strong>{showValue(hit.service)}</strong> is {describeLimit(hit)} since{' '}
        <span data-testid="cardinality-since">{since}</span>
        {last !== since && ` (last at ${last})`}.
      </Typography>
      {examples.length > 0 && (
        <Typography variant="body2" component="span" data-testid="cardinality-examples">
          {' '}
          Counted as {OTHER}, e.g.{' '}
          {examples.map((value, i) => (
            <span key={`${i}\u0000${value}`}>
              {i > 0 && ', '}
              <Box component="code" sx={{ fontFamily: 'monospace' }}>
                {showValue(value)}
              </Box>
            </span>
          ))}
          .
        </Typography>
      )}
      {admin && (
        <>
          {' '}
          <Link
            href={adminServiceUrl(hit.service)}
            variant="body2"
            color="inherit"
            underline="always"
            data-testid="cardinality-admin"
          >
            Change {showValue(hit.service)}'s limits in admin
          </Link>
        </>
      )}
    </Box>
  );
}

/**
 * Services past a cardinality limit in the last day: which dimension, since when, examples of the
 * values now counted as "(other)", and how to fix it. Nothing when no limit was hit.
 */
export default function CardinalityNotice({ limits, user }) {
  const [showAll, setShowAll] = useState(false);
  const hits = sortLimits(limits);
  if (hits.length === 0) return null;
  const shown = showAll ? hits : hits.slice(0, FIRST_SHOWN);
  const admin = canChangeLimits(user);
  return (
    <Alert severity="warning" role="status" data-testid="cardinality-notice">
      <AlertTitle>{noticeTitle(hits)}</AlertTitle>
      <Typography variant="body2">
        New values past a service's limit are counted together as {OTHER} in the tables and filters: totals stay exact,
        the breakdown is coarser.
      </Typography>
      <Box component="ul" sx={{ m: 0, mt: 0.5, pl: 2.5 }}>
        {shown.map((hit) => (
          <LimitHit key={`${hit.service}\u0000${hit.dimension}`} hit={hit} admin={admin} />
        ))}
      </Box>
      {hits.length > FIRST_SHOWN && (
        <Button size="small" color="inherit" onClick={() => setShowAll((v) => !v)} data-testid="cardinality-toggle">
          {showAll ? `Show the first ${FIRST_SHOWN}` : `Show all ${hits.length} limits hit`}
        </Button>
      )}
      {distinctAdvice(hits).map((advice) => (
        <Typography key={advice} variant="body2" sx={{ mt: 0.5 }} data-testid="cardinality-advice">
          {advice}
        </Typography>
      ))}
    </Alert>
  );
}
