// Apdex and service-level objectives as the API gives them (/api/v1/metrics/* `apdex`, /api/v1/objectives).

import { formatDuration } from './format.js';

const DASH = '–';

// The Apdex Alliance's rating bands.
const RATINGS = [
  [0.94, 'Excellent'],
  [0.85, 'Good'],
  [0.7, 'Fair'],
  [0.5, 'Poor'],
  [0, 'Unacceptable'],
];

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Apdex (0..1) with two decimals, as Apdex is usually quoted: 0.9432 → "0.94". */
export function formatApdex(value) {
  return isNumber(value) ? value.toFixed(2) : DASH;
}

/** "Excellent" … "Unacceptable"; null without a value. */
export function apdexRating(value) {
  if (!isNumber(value)) return null;
  return RATINGS.find(([floor]) => value >= floor)[1];
}

/** The dashboard's status colours: Good or better healthy, Fair a warning, below critical; null without a value. */
export function apdexStatus(value) {
  if (!isNumber(value)) return null;
  if (value >= 0.85) return 'healthy';
  return value >= 0.7 ? 'warning' : 'critical';
}

/** Error budget left (a fraction, negative once overspent) as a percentage: 0.5 → "50%", -4 → "-400%". */
export function formatBudget(fraction) {
  if (!isNumber(fraction)) return DASH;
  return `${Math.round(fraction * 100)}%`;
}

/** Budget status: over a quarter left healthy, some left a warning, spent critical. */
export function budgetStatus(fraction) {
  if (!isNumber(fraction)) return null;
  if (fraction > 0.25) return 'healthy';
  return fraction > 0 ? 'warning' : 'critical';
}

/** A burn rate: 14.4 → "14.4×", null (no requests in the window) → "–". */
export function formatBurnRate(rate) {
  if (!isNumber(rate)) return DASH;
  return `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}×`;
}

export const BURN_WINDOWS = ['5m', '30m', '1h', '6h'];

/** "99.9% non-5xx" / "99% ≤ 1 s": what an objective promises, in a few words. */
export function describeObjective(kind, objective) {
  if (kind === 'availability') return `${objective.objective}% without 5xx`;
  return `${objective.objective}% ≤ ${formatDuration(objective.threshold_ms)}`;
}
