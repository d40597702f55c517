// Configuration the Django view passes in a <script type="application/json"> element
// (CSP lets it exist without running it).

const DEFAULTS = { apiBase: '/api/v1', csrfCookieName: 'csrftoken', csrfToken: '' };

export function readConfig(doc = globalThis.document) {
  const element = doc?.getElementById?.('malti-config');
  if (!element) return { ...DEFAULTS };
  try {
    return { ...DEFAULTS, ...JSON.parse(element.textContent || '{}') };
  } catch {
    return { ...DEFAULTS };
  }
}
