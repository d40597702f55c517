import { describe, expect, it } from 'vitest';
import {
  OTHER,
  adminServiceUrl,
  canChangeLimits,
  describeLimit,
  distinctAdvice,
  isOther,
  noticeTitle,
  otherExplanation,
  otherNote,
  sortLimits,
} from './cardinality.js';

const hit = (service, dimension, extra = {}) => ({
  service,
  dimension,
  limit: 1000,
  since: '2026-12-02T10:00:00Z',
  last_folded: '2026-12-02T11:00:00Z',
  examples: [],
  advice: 'Send route templates.',
  ...extra,
});

describe('the (other) rows', () => {
  it('are recognised by the exact value only', () => {
    expect(isOther(OTHER)).toBe(true);
    expect(isOther('(Other)')).toBe(false);
    expect(isOther('/other')).toBe(false);
    expect(isOther(null)).toBe(false);
  });
  it('say what they count, per dimension', () => {
    expect(otherNote('endpoint')).toBe("Endpoints past the service's limit");
    expect(otherNote('consumer')).toBe("Consumers past the service's limit");
    expect(otherExplanation('context')).toContain('New contexts beyond the service');
    expect(otherExplanation('node')).toContain('(other)');
  });
});

describe('the limits hit', () => {
  it('are described with the limit and the dimension', () => {
    expect(describeLimit(hit('checkout', 'endpoint', { limit: 1000 }))).toBe(
      'over its endpoint limit of 1,000 distinct endpoints a day',
    );
  });
  it('are listed by service then dimension', () => {
    const sorted = sortLimits([hit('b', 'node'), hit('a', 'node'), hit('a', 'consumer')]);
    expect(sorted.map((h) => `${h.service}/${h.dimension}`)).toEqual(['a/consumer', 'a/node', 'b/node']);
    expect(sortLimits(null)).toEqual([]);
  });
  it('give each piece of advice once', () => {
    expect(distinctAdvice([hit('a', 'node'), hit('b', 'node'), hit('c', 'node', { advice: 'Other.' })])).toEqual([
      'Send route templates.',
      'Other.',
    ]);
  });
  it('are titled by service, or by how many services', () => {
    expect(noticeTitle([hit('checkout', 'endpoint')])).toBe('checkout hit a cardinality limit');
    expect(noticeTitle([hit('checkout', 'endpoint'), hit('checkout', 'node')])).toBe(
      'checkout hit 2 cardinality limits',
    );
    expect(noticeTitle([hit('a', 'endpoint'), hit('b', 'endpoint')])).toBe('2 services hit cardinality limits');
    expect(noticeTitle([hit('a\u202Eb', 'endpoint')])).toBe('a⟨U+202E⟩b hit a cardinality limit');
  });
});

describe('changing the limits', () => {
  it('is offered to staff users only', () => {
    expect(canChangeLimits({ permissions: ['metrics', 'admin'] })).toBe(true);
    expect(canChangeLimits({ permissions: ['metrics'] })).toBe(false);
    expect(canChangeLimits(null)).toBe(false);
  });
  it('opens the admin service list searched for the name', () => {
    expect(adminServiceUrl('check out&x')).toBe('/admin/accounts/service/?q=check%20out%26x');
  });
});
