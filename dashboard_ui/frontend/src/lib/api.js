// A thin fetch wrapper for Malti's API: same-origin session cookie, CSRF header on
// writes, readable errors.

import { readConfig } from './config.js';

const config = readConfig();

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  get isAuthError() {
    return this.status === 401 || this.status === 403;
  }
}

export function readCookie(name, cookieString = globalThis.document?.cookie ?? '') {
  for (const part of cookieString.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return '';
}

/** A readable sentence from an error body: DRF's {"detail": ...} or {"field": ["msg"]}. */
export function errorMessage(status, body) {
  if (body && typeof body === 'object') {
    if (typeof body.detail === 'string' && body.detail) return body.detail;
    const parts = Object.entries(body).map(([key, value]) => {
      const text = Array.isArray(value) ? value.join(' ') : String(value);
      return key === 'non_field_errors' || key === 'detail' ? text : `${key}: ${text}`;
    });
    if (parts.length) return parts.join('; ');
  }
  if (typeof body === 'string' && body.trim() && body.length < 300 && !body.includes('<')) return body.trim();
  if (status === 0) return 'Could not reach the Malti server. Check your connection.';
  if (status === 429) return 'Too many requests: please wait a moment and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `Request failed (HTTP ${status}).`;
}

function buildUrl(path, params) {
  const url = new URL(`${config.apiBase}${path}`, globalThis.location.origin);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return url;
}

export async function apiFetch(path, { method = 'GET', params, body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRFToken'] = readCookie(config.csrfCookieName) || config.csrfToken;
  }
  let response;
  try {
    response = await fetch(buildUrl(path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, errorMessage(0, null));
  }
  if (response.status === 204) return null;
  const isJson = (response.headers.get('Content-Type') ?? '').includes('json');
  let data = null;
  try {
    data = isJson ? await response.json() : await response.text();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, data), data);
  return data;
}

export const api = {
  login: (username, password) => apiFetch('/auth/login', { method: 'POST', body: { username, password } }),
  loginWithKey: (apiKey) => apiFetch('/auth/login/key', { method: 'POST', body: { api_key: apiKey } }),
  logout: () => apiFetch('/auth/logout', { method: 'POST' }),
  whoami: (signal) => apiFetch('/auth/test', { signal }),
  services: (signal) => apiFetch('/services', { signal }),
  filters: (params, signal) => apiFetch('/metrics/filters', { params, signal }),
  aggregate: (params, signal) => apiFetch('/metrics/aggregate', { params, signal }),
  realtime: (params, signal) => apiFetch('/metrics/aggregate/realtime', { params, signal }),
};

// Alerts (/api/v1/alerts/…): rules, mutes, firing alerts, events, channels and deliveries.
export const alertsApi = {
  rules: (signal) => apiFetch('/alerts/rules', { signal }),
  createRule: (body) => apiFetch('/alerts/rules', { method: 'POST', body }),
  updateRule: (id, body) => apiFetch(`/alerts/rules/${id}`, { method: 'PATCH', body }),
  deleteRule: (id) => apiFetch(`/alerts/rules/${id}`, { method: 'DELETE' }),
  mute: (id, until, reason) => apiFetch(`/alerts/rules/${id}/mute`, { method: 'POST', body: { until, reason } }),
  unmute: (id) => apiFetch(`/alerts/rules/${id}/unmute`, { method: 'POST' }),
  history: (id, signal) => apiFetch(`/alerts/rules/${id}/history`, { signal }),
  firing: (signal) => apiFetch('/alerts/firing', { signal }),
  events: (params, signal) => apiFetch('/alerts/events', { params, signal }),
  silences: (signal) => apiFetch('/alerts/silences', { signal }),
  createSilence: (body) => apiFetch('/alerts/silences', { method: 'POST', body }),
  deleteSilence: (id) => apiFetch(`/alerts/silences/${id}`, { method: 'DELETE' }),
  channels: (signal) => apiFetch('/alerts/channels', { signal }),
  createChannel: (body) => apiFetch('/alerts/channels', { method: 'POST', body }),
  updateChannel: (id, body) => apiFetch(`/alerts/channels/${id}`, { method: 'PATCH', body }),
  deleteChannel: (id) => apiFetch(`/alerts/channels/${id}`, { method: 'DELETE' }),
  testChannel: (id) => apiFetch(`/alerts/channels/${id}/test`, { method: 'POST' }),
  deliveries: (params, signal) => apiFetch('/alerts/deliveries', { params, signal }),
};
