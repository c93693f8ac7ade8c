import { TskoError } from '../errors.js';

/** How hard to try before giving up; every wait is bounded. */
export interface RetryPolicy {
  /** Total attempts of one request, upload or download, the first included (default 6). */
  attempts?: number;
  /** First back-off delay in ms (default 200), doubled each time, ±25% jitter. */
  baseDelayMs?: number;
  /** Upper bound of one back-off delay, also for `Retry-After` (default 5000). */
  maxDelayMs?: number;
}

/**
 * How long to wait for a registry. A registry that accepts connections and never answers
 * fails with `TSKO_REGISTRY_UNAVAILABLE` after `requestMs` (20 s by default).
 */
export interface RegistryTimeouts {
  /** Establishing a connection, TLS handshake included (default 5000 ms). */
  connectMs?: number;
  /**
   * Waiting for response headers once the request is sent, and the longest silence while a
   * body flows in either direction (default 10000 ms).
   */
  responseMs?: number;
  /**
   * Budget of one request until its response headers arrive, every attempt and back-off
   * wait included (default 20000 ms). Streaming a blob's bytes is bounded by `responseMs`
   * silence instead, so large layers are not cut off.
   */
  requestMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };
export const DEFAULT_TIMEOUTS: Required<RegistryTimeouts> = { connectMs: 5_000, responseMs: 10_000, requestMs: 20_000 };

/** Statuses worth another try: the registry (or a proxy in front of it) is briefly unwell. */
export const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Network failures worth another try. */
export const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The error code of a network error, looking through undici's wrappers. */
export function networkErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True if a failure may heal on another try: a transient network error or status. */
export function isTransient(err: unknown): boolean {
  if (err instanceof TskoError) {
    if (err.code === 'TSKO_REGISTRY_UNAVAILABLE') return true;
    return err.status !== undefined && RETRY_STATUS.has(err.status);
  }
  const code = networkErrorCode(err);
  return code !== undefined && RETRY_CODES.has(code);
}

function positive(value: number | undefined, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `options.${field} must be a finite number ≥ ${min}; got ${String(value)}.`,
      { details: { field } },
    );
  }
  return value;
}

/** The retry policy with defaults filled in; a bad value is a typed error naming the field. */
export function retryPolicy(retry: RetryPolicy | undefined): Required<RetryPolicy> {
  return {
    attempts: Math.floor(positive(retry?.attempts, 'retry.attempts', DEFAULT_RETRY.attempts, 1)),
    baseDelayMs: positive(retry?.baseDelayMs, 'retry.baseDelayMs', DEFAULT_RETRY.baseDelayMs, 0),
    maxDelayMs: positive(retry?.maxDelayMs, 'retry.maxDelayMs', DEFAULT_RETRY.maxDelayMs, 0),
  };
}

/** The timeouts with defaults filled in; a bad value is a typed error naming the field. */
export function registryTimeouts(timeouts: RegistryTimeouts | undefined): Required<RegistryTimeouts> {
  return {
    connectMs: positive(timeouts?.connectMs, 'timeouts.connectMs', DEFAULT_TIMEOUTS.connectMs, 1),
    responseMs: positive(timeouts?.responseMs, 'timeouts.responseMs', DEFAULT_TIMEOUTS.responseMs, 1),
    requestMs: positive(timeouts?.requestMs, 'timeouts.requestMs', DEFAULT_TIMEOUTS.requestMs, 1),
  };
}

/**
 * The wait before retry number `attempt` (1 = after the first failure): exponential with
 * jitter, or the registry's `Retry-After`; never more than `maxDelayMs`.
 */
export function backoffDelay(
  policy: Required<RetryPolicy>,
  attempt: number,
  retryAfter: string | string[] | undefined,
): number {
  const fromHeader = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  if (fromHeader !== undefined) return Math.min(policy.maxDelayMs, fromHeader);
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(delay * (0.75 + Math.random() * 0.5));
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
