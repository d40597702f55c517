import { describe, expect, it } from 'vitest';
import {
  formatClock,
  formatCompact,
  formatCount,
  formatDecimal,
  formatDuration,
  formatPercent,
  showValue,
} from './format.js';

describe('formatCount', () => {
  it('groups thousands with commas', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
  it('rounds to a whole number', () => {
    expect(formatCount(1234.6)).toBe('1,235');
  });
  it('shows a dash for missing values rather than a zero that looks like data', () => {
    expect(formatCount(null)).toBe('–');
    expect(formatCount(undefined)).toBe('–');
    expect(formatCount(Number.NaN)).toBe('–');
  });
});

describe('formatDecimal and formatPercent', () => {
  it('keeps fewer decimals as numbers grow', () => {
    expect(formatDecimal(4.1234)).toBe('4.12');
    expect(formatDecimal(41.26)).toBe('41.3');
    expect(formatDecimal(1234.5)).toBe('1,235');
    expect(formatDecimal(4)).toBe('4');
  });
  it('appends a percent sign to values already in percent', () => {
    expect(formatPercent(4.05)).toBe('4.05%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(null)).toBe('–');
  });
});

describe('formatDuration', () => {
  it('shows milliseconds below a second', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(0.4)).toBe('0.4 ms');
    expect(formatDuration(41.25)).toBe('41.3 ms');
    expect(formatDuration(35)).toBe('35 ms');
    expect(formatDuration(220.4)).toBe('220 ms');
  });
  it('switches to seconds, then minutes', () => {
    expect(formatDuration(1000)).toBe('1 s');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(12_500)).toBe('12.5 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_725_000)).toBe('1 h 2 min');
  });
  it('shows a dash for null latencies of empty buckets', () => {
    expect(formatDuration(null)).toBe('–');
  });
});

describe('formatCompact', () => {
  it('abbreviates large axis values', () => {
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(1200)).toBe('1.2k');
    expect(formatCompact(3_400_000)).toBe('3.4M');
    expect(formatCompact(2.5)).toBe('2.5');
    expect(formatCompact(null)).toBe('');
  });
});

describe('formatClock', () => {
  it('pads hours, minutes and seconds', () => {
    expect(formatClock(new Date(2026, 10, 28, 7, 3, 9))).toBe('07:03:09');
  });
});

describe('showValue', () => {
  it('shows invisible and bidi characters as escapes', () => {
    expect(showValue('web\u00A0app')).toBe('web⟨U+00A0⟩app');
    expect(showValue('/api/\u200Borders')).toBe('/api/⟨U+200B⟩orders');
    expect(showValue('\u202Etxt.exe')).toBe('⟨U+202E⟩txt.exe');
    expect(showValue('node\u2066-1\u2069')).toBe('node⟨U+2066⟩-1⟨U+2069⟩');
    expect(showValue('\uFEFFbom\u00ADshy')).toBe('⟨U+FEFF⟩bom⟨U+00AD⟩shy');
  });
  it('leaves ordinary text, spaces and other scripts alone', () => {
    expect(showValue('GET /api/orders/{id} ü 日本 🙂')).toBe('GET /api/orders/{id} ü 日本 🙂');
    expect(showValue(null)).toBe('');
    expect(showValue(42)).toBe('42');
  });
});
