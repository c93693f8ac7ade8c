import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { abortError, TskoError } from '../errors.js';
import { emit, type RegistryEventHandler } from '../events.js';

/** How hard to try before giving up; every wait is bounded. */
export interface RetryPolicy {
  /** Total attempts including the first (default 4). */
  attempts?: number;
  /** First back-off delay in ms (default 200), doubled each time. */
  baseDelayMs?: number;
  /** Upper bound of one back-off delay, also for `Retry-After` (default 10000). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** Extra CA certificates (PEM) trusted for TLS registries, in addition to the system ones. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  retry?: RetryPolicy;
  /** Milliseconds to establish a connection (default 10000). */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for response headers, and between body chunks (default 60000). */
  responseTimeoutMs?: number;
  userAgent?: string;
  onEvent?: RegistryEventHandler;
  signal?: AbortSignal;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer is replayed on retry; a stream body is sent once (callers restart on failure). */
  body?: Buffer | Readable;
  /** Follow redirects (GET/HEAD of blobs and manifests); credentials never cross hosts. */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that finally answered, after redirects. */
  url: URL;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);
const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_NOT_YET_VALID',
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

export function isTlsVerifyError(err: unknown): boolean {
  const code = networkErrorCode(err);
  return code !== undefined && TLS_VERIFY_CODES.has(code);
}

const secureContexts = new Map<string, SecureContext>();

/**
 * One TLS secure context per CA set, shared by every socket and transport: building one from
 * the ~140 system roots plus the caller's CA costs ~80 ms, which every new TLS connection used
 * to pay. Given CAs are trusted in addition to the system store, not instead of it.
 */
function secureContextFor(ca: string[] | undefined): SecureContext {
  const key = ca?.join('\n') ?? '';
  let context = secureContexts.get(key);
  if (!context) {
    context = createSecureContext(ca ? { ca: [...rootCertificates, ...ca] } : {});
    // A handful of CA sets per process at most; keep the map from growing without bound.
    if (secureContexts.size >= 16) secureContexts.delete(secureContexts.keys().next().value!);
    secureContexts.set(key, context);
  }
  return context;
}

/** Path for messages and events: never the query, which may hold upload state. */
export function describeUrl(url: URL): string {
  return `${url.host}${url.pathname}`;
}

/**
 * HTTP with bounded retries and typed failures. One instance holds one connection pool per
 * origin (undici Agent) and is shared by all registries of a push or pull.
 */
export class Transport {
  readonly dispatcher: Agent;
  private readonly retry: Required<RetryPolicy>;
  private readonly userAgent: string;

  constructor(private readonly options: TransportOptions = {}) {
    const ca = options.ca === undefined ? undefined : ([] as (string | Buffer)[]).concat(options.ca as string | Buffer);
    const connect: Record<string, unknown> = { timeout: options.connectTimeoutMs ?? 10_000 };
    connect.secureContext = secureContextFor(ca?.map(String));
    this.dispatcher = new Agent({
      connect,
      headersTimeout: options.responseTimeoutMs ?? 60_000,
      bodyTimeout: options.responseTimeoutMs ?? 60_000,
      keepAliveTimeout: 4_000,
    });
    this.retry = {
      attempts: Math.max(1, options.retry?.attempts ?? 4),
      baseDelayMs: options.retry?.baseDelayMs ?? 200,
      maxDelayMs: options.retry?.maxDelayMs ?? 10_000,
    };
    this.userAgent = options.userAgent ?? 'tsko';
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /**
   * Sends a request, retrying transient failures (408, 429, 5xx, resets) with exponential
   * back-off. Non-retriable statuses are returned for the caller to map. Network failures that
   * outlast the retries become `TSKO_REGISTRY_UNAVAILABLE`.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    for (let attempt = 1; ; attempt++) {
      this.checkAborted();
      let res: HttpResponse;
      try {
        res = await this.sendFollowingRedirects(req);
      } catch (err) {
        if (err instanceof TskoError) throw err;
        if (this.options.signal?.aborted) throw abortError(this.options.signal);
        const code = networkErrorCode(err);
        if (isTlsVerifyError(err)) {
          throw new TskoError('TSKO_TLS', `TLS verification failed for ${req.url.host} (${code}). Pass the registry's CA certificate with the \`ca\` option (or NODE_EXTRA_CA_CERTS); verification is never turned off silently.`, { cause: err });
        }
        const retriable = replayable && code !== undefined && RETRY_CODES.has(code);
        if (!retriable || attempt >= this.retry.attempts) {
          throw new TskoError('TSKO_REGISTRY_UNAVAILABLE', `${req.method} ${describeUrl(req.url)} failed after ${attempt} attempt(s): ${code ?? (err as Error).message}. Is the registry running and reachable?`, { cause: err, details: { code } });
        }
        await this.backoff(req, attempt, code ?? 'network error', undefined);
        continue;
      }
      if (RETRY_STATUS.has(res.status) && replayable && attempt < this.retry.attempts) {
        await res.body.dump().catch(() => undefined);
        await this.backoff(req, attempt, `HTTP ${res.status}`, res.headers['retry-after']);
        continue;
      }
      return res;
    }
  }

  private async sendFollowingRedirects(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { 'user-agent': this.userAgent, ...req.headers };
    for (let hop = 0; hop <= 5; hop++) {
      const res = await request(url, {
        dispatcher: this.dispatcher,
        method: req.method,
        headers,
        body: req.body ?? null,
        signal: this.options.signal ?? null,
      });
      const location = res.headers.location;
      if (!req.followRedirects || ![301, 302, 303, 307, 308].includes(res.statusCode) || typeof location !== 'string') {
        return { status: res.statusCode, headers: res.headers, body: res.body, url };
      }
      await res.body.dump().catch(() => undefined);
      const next = new URL(location, url);
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new TskoError('TSKO_INSECURE_REGISTRY', `${describeUrl(req.url)} redirected from HTTPS to plain HTTP (${next.host}); refusing to follow.`);
      }
      if (next.host !== url.host) {
        // Credentials are for the registry, not for wherever it points us (storage, CDN).
        const { authorization: _dropped, ...rest } = headers as Record<string, string>;
        headers = rest as typeof headers;
      }
      url = next;
    }
    throw new TskoError('TSKO_REGISTRY_ERROR', `${describeUrl(req.url)} redirected more than 5 times.`);
  }

  private async backoff(req: HttpRequest, attempt: number, reason: string, retryAfter: string | string[] | undefined): Promise<void> {
    let delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    delay = Math.round(delay * (0.75 + Math.random() * 0.5));
    const fromHeader = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    if (fromHeader !== undefined) delay = Math.min(this.retry.maxDelayMs, fromHeader);
    emit(this.options.onEvent, { type: 'request:retry', method: req.method, path: describeUrl(req.url), attempt, reason, delayMs: delay });
    try {
      await sleep(delay, undefined, this.options.signal ? { signal: this.options.signal } : undefined);
    } catch {
      this.checkAborted();
    }
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw abortError(this.options.signal);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Reads a whole (small) response body, bounded so a hostile server cannot exhaust memory. */
export async function readBody(res: HttpResponse, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      res.body.destroy();
      throw new TskoError('TSKO_REGISTRY_ERROR', `Response from ${describeUrl(res.url)} exceeded ${limit} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readText(res: HttpResponse, limit = 64 * 1024): Promise<string> {
  try {
    return (await readBody(res, limit)).toString('utf8');
  } catch {
    return '';
  }
}
