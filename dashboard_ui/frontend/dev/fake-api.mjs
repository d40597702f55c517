// A tiny stand-in for Malti's API, for working on the dashboard without the Django
// backend: `npm run build && node dev/fake-api.mjs` then open http://127.0.0.1:8009/.
// It serves the built bundle the way Django does (shell from the manifest, the same
// Content-Security-Policy) and answers the dashboard's API calls with made-up data.
// Development only: nothing in the product or its tests depends on it.
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const PORT = Number(process.env.PORT ?? 8009);
const OUT = fileURLToPath(new URL('../../static/dashboard_ui/', import.meta.url));
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const USERS = { alice: 'password' };
const API_KEYS = { 'malti-demo-key': 'alice' };
const sessions = new Set();

const SERVICES = ['checkout', 'auth', 'search'];
const ENDPOINTS = [
  ['checkout', 'GET', '/api/orders/{id}'],
  ['checkout', 'POST', '/api/orders'],
  ['checkout', 'GET', '<img src=x onerror=alert(1)>'],
  ['auth', 'POST', '/api/v1/login'],
  ['auth', 'GET', '/api/v1/me'],
  ['search', 'GET', '/search'],
];
const CONSUMERS = ['web-app', 'mobile', 'batch-job'];
const NODES = ['node-1', 'node-2'];
const CONTEXTS = ['web', 'cron'];

function cookies(req) {
  return Object.fromEntries(
    (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .filter((p) => p[0]),
  );
}

function send(res, status, body, headers = {}) {
  const isJson = typeof body !== 'string';
  res.writeHead(status, {
    'Content-Type': isJson ? 'application/json' : 'text/html; charset=utf-8',
    'Content-Security-Policy': CSP,
    ...headers,
  });
  res.end(isJson ? JSON.stringify(body) : body);
}

async function readJson(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  try {
    return JSON.parse(data || '{}');
  } catch {
    return {};
  }
}

function shell(authenticated) {
  const manifest = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8'));
  const entry = manifest['src/main.jsx'];
  const preload = (entry.imports ?? []).map(
    (k) => `<link rel="modulepreload" href="/static/dashboard_ui/${manifest[k].file}">`,
  );
  const config = JSON.stringify({ apiBase: '/api/v1', csrfCookieName: 'csrftoken', authenticated });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Malti (fake API)</title>${preload.join('')}<script type="module" src="/static/dashboard_ui/${entry.file}"></script></head>
<body><div id="root"></div><script id="malti-config" type="application/json">${config}</script></body></html>`;
}

// Deterministic pseudo-random numbers per bucket and series.
function noise(seed) {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

function aggregate(url, realtime) {
  const q = url.searchParams;
  const end = q.get('end_time') ? new Date(q.get('end_time')) : new Date();
  const start = q.get('start_time') ? new Date(q.get('start_time')) : new Date(end - 3_600_000);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
    return [400, { detail: 'start_time must be a valid time before end_time.' }];
  }
  const span = end - start;
  if (realtime && span > 3_600_000 + 1000) return [400, { detail: 'The realtime endpoint covers at most 60 minutes.' }];
  const interval = realtime
    ? '1min'
    : (q.get('interval') ?? (span <= 3_600_000 ? '1min' : span <= 86_400_000 ? '5min' : '1hour'));
  const step = { '1min': 60_000, '5min': 300_000, '1hour': 3_600_000, '1day': 86_400_000 }[interval];
  const endpoints = ENDPOINTS.filter(
    ([s, m, e]) =>
      (!q.get('service') || q.get('service') === s) &&
      (!q.get('method') || q.get('method') === m) &&
      (!q.get('endpoint') || q.get('endpoint') === e),
  );
  const quiet = q.get('consumer') === 'nobody' || start < new Date('2020-01-01');
  const factor = (q.get('node') ? 0.5 : 1) * (q.get('consumer') ? 0.4 : 1) * (q.get('context') ? 0.6 : 1);
  const series = [];
  let total = 0;
  let errors = 0;
  for (let t = Math.floor(start / step) * step; t < end; t += step) {
    const i = t / step;
    const requests =
      quiet || i % 17 === 3 ? 0 : Math.round((20 + 30 * noise(i)) * endpoints.length * factor * (step / 60_000) ** 0.5);
    const err = Math.round(requests * 0.05 * noise(i + 1));
    total += requests;
    errors += err;
    const avg = 30 + 40 * noise(i + 2);
    series.push({
      bucket: new Date(t).toISOString().replace('.000Z', 'Z'),
      total_requests: requests,
      error_count: err,
      ...(requests
        ? {
            avg_latency: +avg.toFixed(1),
            min_latency: Math.round(avg / 10),
            max_latency: Math.round(avg * 8),
            p50_latency: Math.round(avg * 0.8),
            p90_latency: Math.round(avg * 2),
            p95_latency: Math.round(avg * 2.6),
            p99_latency: Math.round(avg * 5),
          }
        : Object.fromEntries(['avg', 'min', 'max', 'p50', 'p90', 'p95', 'p99'].map((k) => [`${k}_latency`, null]))),
    });
  }
  const minutes = span / 60_000;
  const share = endpoints.map((_, k) => 1 / 2 ** (k + 1));
  const shareSum = share.reduce((a, b) => a + b, 0) || 1;
  const epRows = endpoints.map(([service, method, endpoint], k) => {
    const total_requests = Math.round((total * share[k]) / shareSum);
    const error_count = Math.round(total_requests * 0.02 * (k + 1));
    return {
      endpoint,
      method,
      service,
      total_requests,
      error_count,
      error_rate: total_requests ? +((100 * error_count) / total_requests).toFixed(2) : 0,
      avg_latency: 20 + 10 * k,
      p95_latency: 60 + 40 * k,
    };
  });
  const services = [...new Set(endpoints.map((e) => e[0]))];
  const body = {
    start_time: start.toISOString(),
    end_time: end.toISOString(),
    interval,
    time_series: series,
    metrics_summary: {
      total_requests: total,
      requests_per_minute: +(total / minutes).toFixed(2),
      avg_latency: total ? 48.3 : null,
      min_latency: total ? 2 : null,
      max_latency: total ? 912 : null,
      p50_latency: total ? 38 : null,
      p90_latency: total ? 96 : null,
      p95_latency: total ? 130 : null,
      p99_latency: total ? 320 : null,
      error_count: errors,
      error_rate: total ? +((100 * errors) / total).toFixed(2) : 0,
      client_error_count: Math.round(errors * 0.8),
      server_error_count: errors - Math.round(errors * 0.8),
    },
    endpoints: total ? epRows : [],
    status_distribution: total
      ? services.map((service, k) => {
          const share = (part) => Math.round((total / services.length) * part);
          const breakdown = { 200: share(0.9), 304: share(0.03), 404: share(0.05), [500 + k]: share(0.02) };
          return {
            service,
            total_requests: Object.values(breakdown).reduce((a, b) => a + b, 0),
            success_2xx: breakdown[200],
            warning_3xx: breakdown[304],
            error_4xx_5xx: breakdown[404] + breakdown[500 + k],
            status_breakdown: breakdown,
          };
        })
      : [],
    consumers: total
      ? CONSUMERS.map((consumer, k) => {
          const total_requests = Math.round(total / 2 ** (k + 1));
          const error_count = Math.round(total_requests * 0.03 * (k + 1));
          const error_rate = total_requests ? +((100 * error_count) / total_requests).toFixed(2) : 0;
          const success_count = total_requests - error_count;
          return { consumer, total_requests, error_count, error_rate, success_count, avg_latency: 30 + k * 12 };
        })
      : [],
    system_overview: {
      total_requests: total,
      total_errors: errors,
      error_rate: total ? +((100 * errors) / total).toFixed(2) : 0,
      avg_latency: total ? 48.3 : null,
      total_services: services.length,
      services: total
        ? services.map((service, k) => ({
            service,
            total_requests: Math.round(total / services.length),
            error_count: Math.round((total / services.length) * [0.012, 0.065, 0.12][k]),
            error_rate: [1.2, 6.5, 12][k],
            avg_latency: [35, 120, 640][k],
            p95_latency: [90, 300, 1500][k],
          }))
        : [],
    },
    distinct_nodes: total ? NODES : [],
    distinct_contexts: total ? CONTEXTS : [],
  };
  return [200, body];
}

// GET /api/v1/requests: made-up records, a few per minute of the range (kept raw for 6 hours,
// a 1-in-10 sample before that), filtered, sorted and paged with an opaque keyset cursor.
const RAW_HOURS = 6;
const SAMPLE_NOTE = "The sample keeps every 5xx, every request slower than its service's p99 and 1% of the rest.";

function fakeRecords(start, end) {
  const rawSince = Date.now() - RAW_HOURS * 3_600_000;
  const records = [];
  const first = Math.ceil(start / 60_000);
  // At most two days of minutes: enough to page through.
  for (let minute = Math.max(first, Math.floor(end / 60_000) - 2880); minute * 60_000 < end; minute += 1) {
    for (let k = 0; k < 1 + Math.floor(3 * noise(minute)); k += 1) {
      const seed = minute * 7 + k;
      const at = minute * 60_000 + Math.floor(59_999 * noise(seed + 0.5));
      if (at < start || at >= end) continue;
      const [service, method, endpoint] = ENDPOINTS[Math.floor(noise(seed + 1) * ENDPOINTS.length)];
      const roll = noise(seed + 2);
      const status = roll < 0.03 ? 503 : roll < 0.08 ? 404 : roll < 0.12 ? 304 : 200;
      const sample = at < rawSince;
      if (sample && status < 500 && noise(seed + 3) > 0.1) continue;
      records.push({
        created_at: new Date(at).toISOString(),
        service,
        node: NODES[Math.floor(noise(seed + 4) * NODES.length)],
        method,
        endpoint,
        status,
        response_time: Math.round(10 + 900 * noise(seed + 5) ** 3),
        consumer: CONSUMERS[Math.floor(noise(seed + 6) * CONSUMERS.length)],
        context: noise(seed + 7) < 0.2 ? null : CONTEXTS[Math.floor(noise(seed + 8) * CONTEXTS.length)],
        source: sample ? 'sample' : 'raw',
      });
    }
  }
  return records;
}

function requests(url) {
  const q = url.searchParams;
  const end = q.get('end_time') ? new Date(q.get('end_time')) : new Date();
  const start = q.get('start_time') ? new Date(q.get('start_time')) : new Date(end - 3_600_000);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
    return [422, { detail: 'start_time must be a valid time before end_time.' }];
  }
  const sort = q.get('sort') ?? 'time';
  const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 100)));
  const klass = q.get('status_class');
  const matches = fakeRecords(start.getTime(), end.getTime()).filter(
    (r) =>
      ['service', 'node', 'method', 'endpoint', 'consumer', 'context'].every((k) => !q.get(k) || r[k] === q.get(k)) &&
      (!q.get('status') || r.status === Number(q.get('status'))) &&
      (!klass || (klass === 'error' ? r.status >= 400 : `${Math.floor(r.status / 100)}xx` === klass)) &&
      (!q.get('min_latency') || r.response_time >= Number(q.get('min_latency'))),
  );
  const key = (r) => (sort === 'latency' ? [r.response_time, r.created_at] : [r.created_at, '']);
  const after = (a, b) => (a[0] === b[0] ? a[1] < b[1] : a[0] < b[0]);
  matches.sort((a, b) => (after(key(a), key(b)) ? 1 : -1));
  let page = matches;
  if (q.get('cursor')) {
    let position;
    try {
      position = JSON.parse(Buffer.from(q.get('cursor'), 'base64url').toString());
    } catch {
      return [422, { detail: 'The cursor is not valid.' }];
    }
    page = matches.filter((r) => after(key(r), position));
  }
  const rows = page.slice(0, limit);
  const more = page.length > limit;
  const sources = new Set(matches.map((r) => r.source));
  const source = sources.size > 1 ? 'mixed' : sources.has('sample') ? 'sample' : 'raw';
  const sampled = rows.some((r) => r.source === 'sample');
  return [
    200,
    {
      requests: rows,
      next_cursor: more ? Buffer.from(JSON.stringify(key(rows[rows.length - 1]))).toString('base64url') : null,
      source,
      sampled,
      sample_note: source === 'raw' ? null : SAMPLE_NOTE,
      total: source === 'raw' ? matches.length : null,
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      sort,
    },
  ];
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const jar = cookies(req);
  const authed = sessions.has(jar.fake_session);
  const authenticated = authed;
  const path = url.pathname;

  if (path.startsWith('/static/dashboard_ui/')) {
    const file = normalize(join(OUT, path.slice('/static/dashboard_ui/'.length)));
    if (!file.startsWith(OUT) || !existsSync(file)) return send(res, 404, 'not found');
    const types = {
      '.js': 'text/javascript',
      '.css': 'text/css',
      '.svg': 'image/svg+xml',
      '.json': 'application/json',
    };
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    return res.end(readFileSync(file));
  }
  if (!path.startsWith('/api/')) {
    const token = jar.csrftoken ?? randomBytes(16).toString('hex');
    return send(res, 200, shell(authenticated), { 'Set-Cookie': `csrftoken=${token}; Path=/; SameSite=Lax` });
  }
  if (req.method === 'POST' && req.headers['x-csrftoken'] !== jar.csrftoken) {
    return send(res, 403, { detail: 'CSRF Failed: CSRF token missing.' });
  }
  if (path === '/api/v1/auth/login' && req.method === 'POST') {
    const { username, password } = await readJson(req);
    if (USERS[username] !== password) return send(res, 401, { detail: 'Invalid username or password.' });
    const sid = randomBytes(16).toString('hex');
    sessions.add(sid);
    return send(
      res,
      200,
      { user: { name: username } },
      { 'Set-Cookie': `fake_session=${sid}; Path=/; HttpOnly; SameSite=Lax` },
    );
  }
  if (path === '/api/v1/auth/login/key' && req.method === 'POST') {
    const { api_key } = await readJson(req);
    if (!API_KEYS[api_key]) return send(res, 401, { detail: 'Unknown API key.' });
    const sid = randomBytes(16).toString('hex');
    sessions.add(sid);
    return send(
      res,
      200,
      { user: { name: API_KEYS[api_key] } },
      { 'Set-Cookie': `fake_session=${sid}; Path=/; HttpOnly; SameSite=Lax` },
    );
  }
  if (path === '/api/v1/auth/logout' && req.method === 'POST') {
    sessions.delete(jar.fake_session);
    res.writeHead(204, { 'Set-Cookie': 'fake_session=; Path=/; Max-Age=0' });
    return res.end();
  }
  if (!authed) return send(res, 401, { detail: 'Authentication credentials were not provided.' });
  if (path === '/api/v1/auth/test') {
    return send(res, 200, {
      authenticated: true,
      user: { name: 'alice', type: 'user', permissions: ['metrics'], tenants: ['Demo'] },
      thresholds: {
        error_rate_success_threshold: 5.0,
        error_rate_warning_threshold: 10.0,
        error_success_threshold: 5.0,
        error_warning_threshold: 10.0,
        latency_success_threshold: 500,
        latency_warning_threshold: 1000,
      },
      timestamp: new Date().toISOString(),
    });
  }
  if (path === '/api/v1/services') {
    return send(res, 200, {
      services: SERVICES.map((name) => ({ name, description: `The ${name} service`, tenant: 'Demo' })),
    });
  }
  if (path === '/api/v1/metrics/filters') {
    const q = url.searchParams;
    const eps = ENDPOINTS.filter(([s]) => !q.get('service') || q.get('service') === s);
    return send(res, 200, {
      services: SERVICES,
      nodes: NODES,
      endpoints: [...new Set(eps.map((e) => e[2]))],
      methods: [...new Set(eps.map((e) => e[1]))],
      consumers: CONSUMERS,
      contexts: CONTEXTS,
    });
  }
  if (path === '/api/v1/metrics/aggregate' || path === '/api/v1/metrics/aggregate/realtime') {
    if (url.searchParams.get('service') === 'broken') return send(res, 500, { detail: 'Simulated failure.' });
    const [status, body] = aggregate(url, path.endsWith('realtime'));
    return send(res, status, body);
  }
  if (path === '/api/v1/requests') {
    const [status, body] = requests(url);
    if (status === 200 && (url.searchParams.get('format') === 'csv' || req.headers.accept === 'text/csv')) {
      const columns = [
        'created_at',
        'service',
        'node',
        'method',
        'endpoint',
        'status',
        'response_time',
        'consumer',
        'context',
        'source',
      ];
      const quote = (v) =>
        v == null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v);
      const csv = [columns.join(','), ...body.requests.map((r) => columns.map((c) => quote(r[c])).join(','))].join(
        '\n',
      );
      res.writeHead(200, { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="requests.csv"' });
      return res.end(`${csv}\n`);
    }
    return send(res, status, body);
  }
  if (path.startsWith('/api/v1/alerts/')) return alertsRoute(req, res, url);
  return send(res, 404, { detail: 'Not found.' });
});

server.listen(PORT, '127.0.0.1', () =>
  console.log(`fake Malti API on http://127.0.0.1:${PORT}/ (alice/password, key malti-demo-key)`),
);

// Alerts (/api/v1/alerts/…, the contract of the README's Alerts section): rules, channels,
// mutes, firing alerts and spans kept in memory; one rule fires, the others are ok.
const alerts = (() => {
  const ago = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();
  const rule = (id, fields) => ({
    id,
    tenant: 'Demo',
    service: null,
    endpoint: null,
    method: null,
    consumer: null,
    node: null,
    window_minutes: 5,
    for_minutes: 0,
    min_requests: 10,
    channels: [1],
    enabled: true,
    muted_until: null,
    mute_reason: null,
    state: 'ok',
    state_since: ago(600),
    last_value: null,
    ...fields,
  });
  return {
    nextId: 100,
    rules: [
      rule(1, {
        name: 'Checkout 5xx',
        metric: 'server_error_rate',
        service: 'checkout',
        threshold: 5,
        severity: 'critical',
        state: 'firing',
        state_since: ago(12),
        last_value: 12.4,
      }),
      rule(2, {
        name: 'Search is slow',
        metric: 'p95_latency',
        service: 'search',
        threshold: 800,
        severity: 'warning',
        last_value: 310,
      }),
      rule(3, {
        name: 'Auth is silent',
        metric: 'silence',
        service: 'auth',
        threshold: 0,
        window_minutes: 10,
        severity: 'critical',
        min_requests: 0,
      }),
    ],
    channels: [
      {
        id: 1,
        tenant: 'Demo',
        name: 'On-call webhook',
        kind: 'webhook',
        target: 'https://hooks.example.com/malti',
        has_secret: true,
      },
    ],
    silences: [],
    spans: [
      { rule: 2, name: 'Search is slow', service: 'search', severity: 'warning', start: ago(300), end: ago(270) },
      { rule: 1, name: 'Checkout 5xx', service: 'checkout', severity: 'critical', start: ago(12), end: null },
    ],
    history: {
      1: [
        {
          at: ago(14),
          service: 'checkout',
          node: null,
          from_state: 'ok',
          to_state: 'pending',
          value: 7.1,
          notified: false,
          suppressed: '',
        },
        {
          at: ago(12),
          service: 'checkout',
          node: null,
          from_state: 'pending',
          to_state: 'firing',
          value: 12.4,
          notified: true,
          suppressed: '',
        },
      ],
    },
    deliveries: [
      {
        id: 1,
        at: ago(12),
        channel: 'On-call webhook',
        event: 'firing checkout',
        attempts: 1,
        status: 'delivered',
        answer: 'HTTP 200',
        next_try: null,
        rule: 1,
      },
    ],
  };
})();

function withoutSecret({ secret, ...channel }) {
  return { ...channel, has_secret: Boolean(secret) || Boolean(channel.has_secret) };
}

async function alertsRoute(req, res, url) {
  const parts = url.pathname.replace('/api/v1/alerts/', '').split('/').filter(Boolean);
  const [kind, id, action] = parts;
  const method = req.method;
  const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : null;
  const find = (list) => list.find((item) => String(item.id) === id);
  if (kind === 'firing') {
    const firing = alerts.rules.filter((r) => r.state === 'firing');
    return send(res, 200, {
      alerts: firing.map((r) => ({
        rule: r.id,
        name: r.name,
        service: r.service,
        node: null,
        severity: r.severity,
        state: r.state,
        since: r.state_since,
        value: r.last_value,
        threshold: r.threshold,
      })),
    });
  }
  if (kind === 'events') {
    const service = url.searchParams.get('service');
    return send(res, 200, { spans: alerts.spans.filter((s) => !service || s.service === service) });
  }
  if (kind === 'deliveries') {
    const rule = url.searchParams.get('rule');
    return send(res, 200, { deliveries: alerts.deliveries.filter((d) => !rule || String(d.rule) === rule) });
  }
  if (kind === 'silences') {
    if (method === 'GET') return send(res, 200, { silences: alerts.silences });
    if (method === 'POST') {
      const silence = { id: alerts.nextId++, ...body };
      alerts.silences.push(silence);
      return send(res, 201, silence);
    }
    alerts.silences = alerts.silences.filter((s) => String(s.id) !== id);
    res.writeHead(204);
    return res.end();
  }
  const list = kind === 'rules' ? alerts.rules : kind === 'channels' ? alerts.channels : null;
  if (!list) return send(res, 404, { detail: 'Not found.' });
  const shown = (item) => (kind === 'channels' ? withoutSecret(item) : item);
  if (!id) {
    if (method === 'GET') return send(res, 200, { [kind]: list.map(shown) });
    if (!body.name) return send(res, 422, { detail: 'name: This field is required.' });
    const item =
      kind === 'rules'
        ? {
            state: 'ok',
            state_since: new Date().toISOString(),
            last_value: null,
            muted_until: null,
            mute_reason: null,
            tenant: 'Demo',
            ...body,
          }
        : { tenant: 'Demo', ...body };
    item.id = alerts.nextId++;
    list.push(item);
    return send(res, 201, shown(item));
  }
  const item = find(list);
  if (!item) return send(res, 404, { detail: 'Not found.' });
  if (kind === 'rules' && action === 'history') return send(res, 200, { events: alerts.history[item.id] ?? [] });
  if (kind === 'rules' && action === 'mute') {
    Object.assign(item, { muted_until: body.until, mute_reason: body.reason });
    return send(res, 200, item);
  }
  if (kind === 'rules' && action === 'unmute') {
    Object.assign(item, { muted_until: null, mute_reason: null });
    return send(res, 200, item);
  }
  if (kind === 'channels' && action === 'test') {
    return send(res, 200, { delivered: true, detail: `Test notification delivered to ${item.target} (HTTP 200).` });
  }
  if (method === 'PATCH') {
    Object.assign(item, body);
    return send(res, 200, shown(item));
  }
  if (method === 'DELETE') {
    list.splice(list.indexOf(item), 1);
    res.writeHead(204);
    return res.end();
  }
  return send(res, 405, { detail: `Method "${method}" not allowed.` });
}
