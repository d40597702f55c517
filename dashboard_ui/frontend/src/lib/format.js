// Number and duration formatting for the dashboard.
// Always en-US so numbers read the same for everyone (and in tests): 1,234.5

const DASH = '–';

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const formats = new Map();

function decimalFormat(maxFractionDigits) {
  if (!formats.has(maxFractionDigits)) {
    formats.set(maxFractionDigits, new Intl.NumberFormat('en-US', { maximumFractionDigits: maxFractionDigits }));
  }
  return formats.get(maxFractionDigits);
}

/** A count with thousands separators: 1234567 → "1,234,567". */
export function formatCount(value) {
  if (!isNumber(value)) return DASH;
  return integerFormat.format(Math.round(value));
}

/** A decimal whose precision shrinks as it grows: 4.123 → "4.12", 41.23 → "41.2", 1234.5 → "1,235". */
export function formatDecimal(value) {
  if (!isNumber(value)) return DASH;
  const abs = Math.abs(value);
  if (abs >= 100) return integerFormat.format(value);
  if (abs >= 10) return decimalFormat(1).format(value);
  return decimalFormat(2).format(value);
}

/** A percentage given in percent (the API's error_rate): 4.05 → "4.05%", 0 → "0%". */
export function formatPercent(value) {
  if (!isNumber(value)) return DASH;
  return `${formatDecimal(value)}%`;
}

/**
 * A duration in milliseconds: 0.4 → "0.4 ms", 41.25 → "41.3 ms", 220 → "220 ms",
 * 1250 → "1.25 s", 125000 → "2 min 5 s".
 */
export function formatDuration(ms) {
  if (!isNumber(ms)) return DASH;
  const abs = Math.abs(ms);
  if (abs < 100) return `${decimalFormat(1).format(ms)} ms`;
  if (abs < 1000) return `${integerFormat.format(ms)} ms`;
  if (abs < 60_000) {
    const seconds = ms / 1000;
    return `${decimalFormat(Math.abs(seconds) < 10 ? 2 : 1).format(seconds)} s`;
  }
  const totalSeconds = Math.round(abs / 1000);
  const sign = ms < 0 ? '-' : '';
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${sign}${hours} h ${minutes} min`;
  return seconds ? `${sign}${minutes} min ${seconds} s` : `${sign}${minutes} min`;
}

/** A short axis label: 950 → "950", 1200 → "1.2k", 3400000 → "3.4M". */
export function formatCompact(value) {
  if (!isNumber(value)) return '';
  const abs = Math.abs(value);
  const units = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (abs >= size) return `${decimalFormat(1).format(value / size)}${suffix}`;
  }
  return decimalFormat(abs < 10 ? 1 : 0).format(value);
}

/** "HH:MM:SS" in local time, for "Updated 14:03:07". */
export function formatClock(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// Characters a reader cannot see or that reorder text: controls, format characters (zero-width,
// bidi embeddings, overrides and isolates, soft hyphen, BOM), separators other than a plain space,
// and fillers that render blank.
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00A0\u034F\u115F\u1160\u1680\u2000-\u200A\u202F\u205F\u3000\u3164\uFFA0]/gu;

/** A stored value as shown: every invisible or bidi character as a visible escape, "a\u200Bb" → "a⟨U+200B⟩b". */
export function showValue(value) {
  if (value == null) return '';
  return String(value).replace(
    INVISIBLE,
    (ch) => `⟨U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`,
  );
}
