import { describe, expect, it } from 'vitest';
import { groupStatusDistribution, healthStatus, statusClass } from './health.js';

const thresholds = {
  error_rate_success_threshold: 5,
  error_rate_warning_threshold: 10,
  latency_success_threshold: 500,
  latency_warning_threshold: 1000,
};

describe('healthStatus', () => {
  it('is healthy below every threshold', () => {
    expect(healthStatus({ total_requests: 10, error_rate: 1, avg_latency: 100 }, thresholds)).toBe('healthy');
  });
  it('takes the worse of error rate and latency', () => {
    expect(healthStatus({ total_requests: 10, error_rate: 6, avg_latency: 100 }, thresholds)).toBe('warning');
    expect(healthStatus({ total_requests: 10, error_rate: 1, avg_latency: 1001 }, thresholds)).toBe('critical');
    expect(healthStatus({ total_requests: 10, error_rate: 12, avg_latency: 600 }, thresholds)).toBe('critical');
  });
  it('colours only values above a threshold, as the original does', () => {
    expect(healthStatus({ total_requests: 10, error_rate: 5, avg_latency: 500 }, thresholds)).toBe('healthy');
    expect(healthStatus({ total_requests: 10, error_rate: 10, avg_latency: 100 }, thresholds)).toBe('warning');
    expect(healthStatus({ total_requests: 10, error_rate: 1, avg_latency: 1000 }, thresholds)).toBe('warning');
  });
  it('ignores names it does not read', () => {
    const legacy = { error_rate_warning: 0, error_rate_critical: 0, latency_warning_ms: 0, latency_critical_ms: 0 };
    expect(healthStatus({ total_requests: 10, error_rate: 1, avg_latency: 100 }, legacy)).toBe('healthy');
  });
  it('has no status without requests', () => {
    expect(healthStatus({ total_requests: 0, error_rate: null, avg_latency: null }, thresholds)).toBeNull();
  });
  it('falls back to default thresholds', () => {
    expect(healthStatus({ total_requests: 1, error_rate: 6, avg_latency: 1 }, null)).toBe('warning');
  });
});

describe('status classes', () => {
  it('groups codes by hundreds', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(304)).toBe('3xx');
    expect(statusClass(404)).toBe('4xx');
    expect(statusClass(503)).toBe('5xx');
    expect(statusClass(101)).toBe('other');
  });

  it('orders the per-service distribution biggest first and splits its codes into classes', () => {
    const groups = groupStatusDistribution([
      { service: 'auth', total_requests: 5, status_breakdown: { 200: 5 } },
      { service: 'checkout', total_requests: 100, status_breakdown: { 500: 2, 200: 90, 404: 8 } },
    ]);
    expect(groups.map((g) => g.service)).toEqual(['checkout', 'auth']);
    expect(groups[0].total_requests).toBe(100);
    expect(groups[0].classes).toMatchObject({ '2xx': 90, '4xx': 8, '5xx': 2, '3xx': 0 });
    expect(groups[0].codes).toEqual([
      { status: 200, total_requests: 90 },
      { status: 404, total_requests: 8 },
      { status: 500, total_requests: 2 },
    ]);
  });
});
