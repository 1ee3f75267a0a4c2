// The one way the app talks to the API: same-origin fetch with the session cookie, JSON in and
// out, the contract's error body turned into ApiError, and a count of requests in flight that
// the busy indicator shows.
import type { ApiErrorItem } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly errors: ApiErrorItem[];

  constructor(status: number, errors: ApiErrorItem[]) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }

  // Messages that name a field, by field (the first one wins: one message per field).
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      if (e.field && !(e.field in out)) out[e.field] = e.message;
    }
    return out;
  }

  // Messages that name no field.
  formErrors(): string[] {
    return this.errors.filter((e) => !e.field).map((e) => e.message);
  }

  has(message: string): boolean {
    return this.errors.some((e) => e.message === message);
  }
}

// A failure to reach the ingress at all (offline, connection refused).
export class NetworkError extends Error {}

// --- requests in flight ------------------------------------------------------------------------
let inFlight = 0;
const listeners = new Set<(n: number) => void>();

function setInFlight(n: number) {
  inFlight = n;
  for (const l of listeners) l(n);
}

export function subscribeInFlight(listener: (n: number) => void): () => void {
  listeners.add(listener);
  listener(inFlight);
  return () => listeners.delete(listener);
}

// --- fetch -------------------------------------------------------------------------------------
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  setInFlight(inFlight + 1);
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new NetworkError('The server cannot be reached. Check your connection and retry.');
  } finally {
    setInFlight(inFlight - 1);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const errors =
      json && typeof json === 'object' && Array.isArray((json as { errors?: unknown }).errors)
        ? ((json as { errors: ApiErrorItem[] }).errors)
        : [{ message: res.status >= 500 ? 'Something went wrong' : `HTTP ${res.status}` }];
    throw new ApiError(res.status, errors);
  }
  return json as T;
}

export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Retries `call` while it fails with one of `statuses`, waiting 250 ms, doubling up to 2 s, for
// at most `totalMs`. Used where the system is eventually consistent: a ticket just created is
// known to orders a moment later, an order just created to payments.
export async function retrying<T>(
  call: () => Promise<T>,
  statuses: number[],
  totalMs = 15000,
): Promise<T> {
  const deadline = Date.now() + totalMs;
  let delay = 250;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof ApiError) || !statuses.includes(e.status) || Date.now() + delay > deadline) {
        throw e;
      }
    }
    await wait(delay);
    delay = Math.min(delay * 2, 2000);
  }
}
