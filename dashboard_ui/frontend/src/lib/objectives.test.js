import { describe, expect, it } from 'vitest';
import {
  apdexRating,
  apdexStatus,
  budgetStatus,
  describeObjective,
  formatApdex,
  formatBudget,
  formatBurnRate,
} from './objectives.js';

describe('Apdex', () => {
  it('is shown with two decimals, a dash without requests', () => {
    expect(formatApdex(0.9432)).toBe('0.94');
    expect(formatApdex(1)).toBe('1.00');
    expect(formatApdex(null)).toBe('–');
  });
  it('is rated in the Apdex bands, edges included in the better band', () => {
    expect(apdexRating(0.94)).toBe('Excellent');
    expect(apdexRating(0.9399)).toBe('Good');
    expect(apdexRating(0.7)).toBe('Fair');
    expect(apdexRating(0.5)).toBe('Poor');
    expect(apdexRating(0.1)).toBe('Unacceptable');
    expect(apdexRating(undefined)).toBeNull();
  });
  it('colours Fair as a warning and below as critical', () => {
    expect(apdexStatus(0.85)).toBe('healthy');
    expect(apdexStatus(0.8)).toBe('warning');
    expect(apdexStatus(0.69)).toBe('critical');
    expect(apdexStatus(null)).toBeNull();
  });
});

describe('error budget and burn rates', () => {
  it('shows the budget left as a percentage, negative once overspent', () => {
    expect(formatBudget(0.5)).toBe('50%');
    expect(formatBudget(-4)).toBe('-400%');
    expect(budgetStatus(0.5)).toBe('healthy');
    expect(budgetStatus(0.1)).toBe('warning');
    expect(budgetStatus(0)).toBe('critical');
  });
  it('shows burn rates as multiples, a dash for a window without requests', () => {
    expect(formatBurnRate(14.4)).toBe('14.4×');
    expect(formatBurnRate(250.3)).toBe('250×');
    expect(formatBurnRate(null)).toBe('–');
  });
});

describe('describeObjective', () => {
  it('says what each objective promises', () => {
    expect(describeObjective('availability', { objective: 99.9 })).toBe('99.9% without 5xx');
    expect(describeObjective('latency', { objective: 99, threshold_ms: 1000 })).toBe('99% ≤ 1 s');
  });
});
