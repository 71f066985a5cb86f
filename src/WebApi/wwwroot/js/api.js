// The HTTP contract (shared/API.md) as small functions. Credentials live in sessionStorage so that a reload keeps
// the visit but closing the tab ends it.

const ACCESS = 'concert.accessToken';
const QUEUE = 'concert.queueToken';

export const session = {
  get accessToken() { return sessionStorage.getItem(ACCESS); },
  set accessToken(value) { store(ACCESS, value); },
  get queueToken() { return sessionStorage.getItem(QUEUE); },
  set queueToken(value) { store(QUEUE, value); },
};

function store(key, value) {
  if (value) sessionStorage.setItem(key, value); else sessionStorage.removeItem(key);
}

/** A failed call: `message` is the problem's `detail`, meant for people. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `The request failed (HTTP ${status}).`);
    this.status = status;
    this.code = problem?.code ?? null;
    this.problem = problem;
  }
}

/** The headers a call carries: the bearer when signed in, the queue token when asked for. */
export function headersFor({ queue = false, extra = {} } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (session.accessToken) headers.Authorization = `Bearer ${session.accessToken}`;
  if (queue && session.queueToken) headers['Queue-Token'] = session.queueToken;
  return headers;
}

export async function call(method, path, { body, queue = false, headers = {}, signal } = {}) {
  const init = { method, headers: headersFor({ queue, extra: headers }), signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  signUp: (name, email, password) => call('POST', '/api/users', { body: { name, email, password } }),
  signIn: (email, password) => call('POST', '/api/auth/token', { body: { email, password } }),
  me: () => call('GET', '/api/users/me'),

  balance: (userId) => call('GET', `/api/users/${userId}/balance`),
  topUp: (userId, amount) => call('POST', `/api/users/${userId}/balance/charges`, { body: { amount } }),
  history: (userId, before) => call('GET', `/api/users/${userId}/balance/history?${page(before)}`),
  reservations: (userId, before) => call('GET', `/api/users/${userId}/reservations?${page(before)}`),

  join: () => call('POST', '/api/queue/tokens'),
  queueStatus: (signal) => call('GET', '/api/queue/tokens/current', { queue: true, signal }),
  leave: () => call('DELETE', '/api/queue/tokens/current', { queue: true }),

  concerts: () => call('GET', '/api/concerts'),
  schedules: (concertId) => call('GET', `/api/concerts/${concertId}/schedules`, { queue: true }),
  seats: (concertId, scheduleId) =>
    call('GET', `/api/concerts/${concertId}/schedules/${scheduleId}/seats`, { queue: true }),

  hold: (seatId) => call('POST', '/api/reservations', { body: { seatId }, queue: true }),
  release: (reservationId) => call('DELETE', `/api/reservations/${reservationId}`, { queue: true }),
  pay: (reservationIds, idempotencyKey) => call('POST', '/api/payments', {
    body: { reservationIds }, queue: true, headers: { 'Idempotency-Key': idempotencyKey },
  }),
};

export const PAGE_SIZE = 10;

function page(before) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (before != null) query.set('before', String(before));
  return query.toString();
}

/** 32 random hex characters: a printable ASCII Idempotency-Key. getRandomValues works outside secure contexts. */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
