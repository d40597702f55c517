// The cardinality guard as the dashboard shows it: the limits the API says services hit
// (`cardinality_limits` of /metrics/aggregate) and the "(other)" rows they leave in the tables.

import { formatCount, showValue } from './format.js';

/** The value new endpoints, consumers, nodes or contexts past a service's limit are counted under. */
export const OTHER = '(other)';

const PLURAL = { endpoint: 'endpoints', consumer: 'consumers', node: 'nodes', context: 'contexts' };

function plural(dimension) {
  return PLURAL[dimension] ?? `${dimension}s`;
}

/** Whether a table row's value is the guard's "(other)". */
export function isOther(value) {
  return value === OTHER;
}

/** The short note next to an "(other)" row: "Endpoints past the service's limit". */
export function otherNote(dimension) {
  const name = plural(dimension);
  return `${name[0].toUpperCase()}${name.slice(1)} past the service's limit`;
}

/** The longer explanation, for the note's tooltip. */
export function otherExplanation(dimension) {
  const name = plural(dimension);
  return (
    `New ${name} beyond the service's cardinality limit (distinct ${name} over a day) are counted together ` +
    `as ${OTHER}: the totals stay exact, only the breakdown is coarser. The request explorer shows the values sent.`
  );
}

/** One limit hit as a sentence: "over its endpoint limit of 1,000 distinct endpoints a day". */
export function describeLimit(hit) {
  return `over its ${hit.dimension} limit of ${formatCount(hit.limit)} distinct ${plural(hit.dimension)} a day`;
}

/** The limits hit, by service then dimension, so a refresh does not reorder the notice. */
export function sortLimits(limits) {
  return [...(limits ?? [])].sort(
    (a, b) => String(a.service).localeCompare(String(b.service)) || String(a.dimension).localeCompare(b.dimension),
  );
}

/** The notice's title: "checkout hit a cardinality limit", "checkout hit 2 …", "3 services hit …". */
export function noticeTitle(limits) {
  const services = new Set(limits.map((hit) => hit.service));
  if (services.size > 1) return `${services.size} services hit cardinality limits`;
  const name = showValue(limits[0]?.service);
  return limits.length === 1 ? `${name} hit a cardinality limit` : `${name} hit ${limits.length} cardinality limits`;
}

/** Each different piece of advice once: the API gives it per limit, and it is usually the same. */
export function distinctAdvice(limits) {
  return [...new Set((limits ?? []).map((hit) => hit.advice).filter(Boolean))];
}

/** Staff users (the API's "admin" permission) can change a service's limits in Django admin. */
export function canChangeLimits(user) {
  return Boolean(user?.permissions?.includes('admin'));
}

/** The admin's service list searched for this name: the API names services, admin pages need their id. */
export function adminServiceUrl(service) {
  return `/admin/accounts/service/?q=${encodeURIComponent(service)}`;
}
