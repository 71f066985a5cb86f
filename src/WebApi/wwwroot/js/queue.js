// Follows the caller's queue token: the event stream first, polling (at the pace the service asks for) when the
// stream is not there, is refused (429, 404) or breaks. Both hand the same QueueStatus to `onStatus`.

import { api, ApiError, headersFor } from './api.js';
import { readEventStream } from './sse.js';

const DEFAULT_POLL_SECONDS = 2;

/**
 * Starts watching. `onStatus(status, mode)` gets every QueueStatus, `mode` being "stream" or "polling";
 * `onError(error)` gets failures that end the watch (a 401). Returns a function that stops it.
 */
export function watchQueue({ onStatus, onError }) {
  const control = new AbortController();
  let timer = null;
  let last = null;

  const stopped = () => control.signal.aborted;
  const deliver = (status, mode) => {
    last = status;
    onStatus(status, mode);
  };

  async function stream() {
    let response;
    try {
      response = await fetch('/api/queue/tokens/current/events', {
        headers: headersFor({ queue: true, extra: { Accept: 'text/event-stream' } }),
        signal: control.signal,
        cache: 'no-store',
      });
    } catch {
      return false;
    }
    if (response.status === 401) {
      const problem = await response.json().catch(() => null);
      throw new ApiError(401, problem);
    }
    const type = response.headers.get('Content-Type') || '';
    if (!response.ok || !type.startsWith('text/event-stream') || !response.body) {
      response.body?.cancel().catch(() => {});
      return false;
    }
    try {
      await readEventStream(response.body, ({ event, data }) => {
        if (event === 'status') deliver(JSON.parse(data), 'stream');
      });
    } catch {
      // A broken stream: polling takes over below.
    }
    return true;
  }

  async function poll() {
    if (stopped()) return;
    try {
      const status = await api.queueStatus(control.signal);
      deliver(status, 'polling');
      if (status.status === 'expired') return;
      // Active: nothing changes until the window ends, so look again then (or in 20 s, whichever is first).
      const seconds = status.pollAfterSeconds
        ?? (status.expiresAt ? Math.min(20, Math.max(1, secondsUntil(status.expiresAt) + 1)) : DEFAULT_POLL_SECONDS);
      timer = setTimeout(poll, seconds * 1000);
    } catch (error) {
      if (stopped()) return;
      if (error instanceof ApiError && error.status === 401) { onError(error); return; }
      const retry = error instanceof ApiError && error.status === 429 ? 5 : DEFAULT_POLL_SECONDS;
      timer = setTimeout(poll, retry * 1000);
    }
  }

  (async () => {
    try {
      const streamed = await stream();
      if (stopped() || last?.status === 'expired') return;
      // No stream, or it ended before saying "expired": poll from here on.
      if (!streamed || last?.status !== 'expired') await poll();
    } catch (error) {
      if (!stopped()) onError(error);
    }
  })();

  return () => {
    control.abort();
    clearTimeout(timer);
  };
}

export function secondsUntil(timestamp) {
  return Math.max(0, Math.ceil((Date.parse(timestamp) - Date.now()) / 1000));
}

/** "4:05", "1:02:03" */
export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
