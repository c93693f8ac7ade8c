import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { abortError, TskoError } from '../errors.js';
import { emit, type RegistryEventHandler } from '../events.js';
import { lazyImport } from '../lazy-modules.js';
import {
  authorizationFor,
  describeUrl,
  resolveLocation,
  withoutAuthorization,
  type ScopedAuthorization,
} from './origin.js';
import { agentKey, sharedPool, type AgentSettings } from './shared-agents.js';
import { isTlsVerifyError, secureContextFor } from './tls-context.js';
import { settleOnAbort } from './settle-on-abort.js';
import {
  backoffDelay,
  networkErrorCode,
  registryTimeouts,
  retryPolicy,
  RETRY_CODES,
  RETRY_STATUS,
  type RegistryTimeouts,
  type RetryPolicy,
} from './retry-policy.js';

// Loaded by the first request (see lazy-modules.ts).
const undici = lazyImport(() => import('undici'));
const tls = lazyImport(() => import('node:tls'));

/** The undici Agent behind one shared pool (see shared-agents.ts for who shares it). */
async function newAgent(settings: AgentSettings): Promise<Agent> {
  const [{ Agent }, tlsModule] = await Promise.all([undici(), tls()]);
  return new Agent({
    connect: { timeout: settings.connectMs, secureContext: secureContextFor(tlsModule, settings.ca?.slice()) },
    headersTimeout: settings.responseMs,
    bodyTimeout: settings.responseMs,
    // Below the 5 s idle timeout of Node's and many proxies' servers, so that we close an idle
    // socket before the server does and never send on one it is closing.
    keepAliveTimeout: 4_000,
  });
}

export interface TransportOptions {
  /** Extra CA certificates (PEM) trusted for TLS registries, in addition to the system ones. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  retry?: RetryPolicy;
  /** Connect, response and per-request time limits (defaults: 5 s, 10 s, 20 s). */
  timeouts?: RegistryTimeouts;
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
  /** Follow redirects (GET/HEAD of blobs and manifests). */
  followRedirects?: boolean;
  /** Credentials and the one origin they may be sent to; checked on every hop (see origin.ts). */
  authorization?: ScopedAuthorization;
  /** Epoch ms by which the response must have arrived (default: now + `timeouts.requestMs`). */
  deadline?: number;
  /** Attempts for this request (default: the retry policy's). */
  attempts?: number;
  /** Not tied to the caller's AbortSignal: best-effort clean-up after an abort. */
  detached?: boolean;
}

/**
 * A response body: the bytes as a stream, or drained (`dump`) to free the connection. Our own
 * type rather than undici's, so that no undici type is part of the published declarations.
 */
export interface ResponseBody extends Readable {
  /** Reads and discards the rest of the body (up to undici's limit), keeping the connection. */
  dump(options?: { limit: number }): Promise<void>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
  /** The URL that finally answered, after redirects. */
  url: URL;
}

/**
 * HTTP with bounded retries, time limits and typed failures. Its connection pool (an undici
 * Agent) is the process-wide one for its CA set and time limits (shared-agents.ts), so
 * separate calls with the same settings reuse warm connections.
 */
export class Transport {
  /** Fetched on the first request: undici and the TLS context load only when something is sent. */
  private dispatcher?: Promise<Agent>;
  /** Ends this transport's requests on close; the shared pool itself stays for other callers. */
  private readonly closer = new AbortController();
  readonly retry: Required<RetryPolicy>;
  readonly timeouts: Required<RegistryTimeouts>;
  /** Identifies the connection settings (trust and time limits), never credentials. */
  readonly connectionKey: string;
  private readonly userAgent: string;
  private readonly agentSettings: AgentSettings;

  constructor(private readonly options: TransportOptions = {}) {
    this.retry = retryPolicy(options.retry);
    this.timeouts = registryTimeouts(options.timeouts);
    this.userAgent = options.userAgent ?? 'tsko';
    const ca = options.ca;
    this.agentSettings = {
      ca: ca === undefined ? undefined : ([] as (string | Buffer)[]).concat(ca as string | Buffer).map(String),
      connectMs: this.timeouts.connectMs,
      responseMs: this.timeouts.responseMs,
    };
    this.connectionKey = agentKey(this.agentSettings);
  }

  private agent(): Promise<Agent> {
    this.dispatcher ??= sharedPool(this.agentSettings, newAgent);
    return this.dispatcher;
  }

  /** Resolves once the connection pool exists (undici loaded), so time limits start after that. */
  async ready(): Promise<void> {
    await this.agent();
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /**
   * Sends a request, retrying transient failures (408, 429, 5xx, resets, timeouts) with
   * exponential back-off until the attempts or the request's time budget run out.
   * Non-retriable statuses are returned for the caller to map. Network failures that outlast
   * the retries become `TSKO_REGISTRY_UNAVAILABLE`.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    if (this.closer.signal.aborted) throw sessionClosed();
    // Loading undici (the first request of a process) is not the registry's time to answer.
    await this.ready();
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    const deadline = req.deadline ?? Date.now() + this.timeouts.requestMs;
    const attempts = req.attempts ?? this.retry.attempts;
    const caller = req.detached ? undefined : this.options.signal;
    for (let attempt = 1; ; attempt++) {
      if (caller?.aborted) throw abortError(caller);
      // The budget covers waiting for the answer, not streaming a large body afterwards.
      // A streamed upload cannot be cut by it either: only silence (responseMs) stops it.
      const budget = new AbortController();
      const timer = replayable ? setTimeout(() => budget.abort(), Math.max(0, deadline - Date.now())) : undefined;
      const signal = AbortSignal.any([...(caller ? [caller] : []), budget.signal, this.closer.signal]);
      let res: HttpResponse;
      try {
        res = await settleOnAbort(this.sendFollowingRedirects(req, signal), signal);
      } catch (err) {
        if (err instanceof TskoError) throw err;
        if (caller?.aborted) throw abortError(caller);
        const code = budget.signal.aborted ? 'timed out' : networkErrorCode(err);
        if (isTlsVerifyError(err)) {
          throw new TskoError(
            'TSKO_TLS',
            `TLS verification failed for ${req.url.host} (${code}). Pass the registry's CA certificate with the \`ca\` option (or NODE_EXTRA_CA_CERTS); verification is never turned off silently.`,
            { cause: err },
          );
        }
        const retriable = replayable && code !== undefined && RETRY_CODES.has(code);
        const delay = retriable ? this.retryDelay(attempt, attempts, deadline, undefined) : undefined;
        if (delay === undefined)
          throw unavailable(
            req,
            attempt,
            code ?? (err as Error).message,
            err,
            budget.signal.aborted || TIMEOUT_CODES.has(code ?? ''),
          );
        await this.wait(req, attempt, code ?? 'network error', delay, caller);
        continue;
      } finally {
        clearTimeout(timer);
      }
      const delay =
        RETRY_STATUS.has(res.status) && replayable
          ? this.retryDelay(attempt, attempts, deadline, res.headers['retry-after'])
          : undefined;
      // Out of attempts or time, the last answer goes to the caller, which maps its status.
      if (delay === undefined) return res;
      await res.body.dump().catch(() => undefined);
      await this.wait(req, attempt, `HTTP ${res.status}`, delay, caller);
    }
  }

  /**
   * Waits before retry number `attempt` of something larger than one request (an upload
   * session, a download), as `send` does between its own attempts. False when the attempts
   * are spent: the caller then gives up with its own error.
   */
  async beforeRetry(
    what: { method: HttpRequest['method']; url: URL },
    attempt: number,
    reason: string,
    retryAfter?: string | string[],
  ): Promise<boolean> {
    const delay = this.retryDelay(attempt, this.retry.attempts, Infinity, retryAfter);
    if (delay === undefined) return false;
    await this.wait(what, attempt, reason, delay, this.options.signal);
    return true;
  }

  /** The back-off before another attempt, or undefined when attempts or time are spent. */
  private retryDelay(
    attempt: number,
    attempts: number,
    deadline: number,
    retryAfter: string | string[] | undefined,
  ): number | undefined {
    if (attempt >= attempts) return undefined;
    const delay = backoffDelay(this.retry, attempt, retryAfter);
    // Never sleep past the budget only to fail at once on waking.
    return Date.now() + delay >= deadline ? undefined : delay;
  }

  private async wait(
    req: Pick<HttpRequest, 'method' | 'url'>,
    attempt: number,
    reason: string,
    delay: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    emit(this.options.onEvent, {
      type: 'request:retry',
      method: req.method,
      path: describeUrl(req.url),
      attempt,
      reason,
      delayMs: delay,
    });
    try {
      await sleep(delay, undefined, signal ? { signal } : undefined);
    } catch {
      if (signal?.aborted) throw abortError(signal);
    }
  }

  private async sendFollowingRedirects(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    let url = req.url;
    const plain = { 'user-agent': this.userAgent, ...withoutAuthorization(req.headers ?? {}) };
    const [{ request }, dispatcher] = await Promise.all([undici(), this.agent()]);
    for (let hop = 0; hop <= 5; hop++) {
      const authorization = authorizationFor(url, req.authorization);
      const headers = authorization ? { ...plain, authorization } : plain;
      const res = await request(url, {
        dispatcher,
        method: req.method,
        headers,
        body: req.body ?? null,
        signal,
        // undici closes the connection after every HEAD (for servers that wrongly send a
        // body); registries do not, and a push is mostly HEADs: keep the connection.
        ...(req.method === 'HEAD' ? { reset: false } : {}),
      });
      const location = res.headers.location;
      if (!req.followRedirects || ![301, 302, 303, 307, 308].includes(res.statusCode) || typeof location !== 'string') {
        return { status: res.statusCode, headers: res.headers, body: res.body, url };
      }
      await res.body.dump().catch(() => undefined);
      // Credentials are for their own origin, not for wherever a redirect points (storage,
      // CDN): authorizationFor drops them on the next hop unless it is that origin again.
      url = resolveLocation(location, url, `The redirect from ${describeUrl(req.url)}`);
    }
    throw new TskoError('TSKO_REGISTRY_ERROR', `${describeUrl(req.url)} redirected more than 5 times.`);
  }

  /**
   * Ends this transport's requests: one still in flight was abandoned (a timeout or abort
   * settled our side first, and undici settles it only when the server lets go), so waiting
   * for it could last as long as a hung registry. Aborting it destroys its socket; the idle
   * connections of the shared pool stay for other calls (they never keep the process alive).
   */
  async close(): Promise<void> {
    if (!this.closer.signal.aborted) this.closer.abort(sessionClosed());
  }
}

function sessionClosed(): TskoError {
  return new TskoError(
    'TSKO_ABORTED',
    'The registry session was closed; open a new RegistrySession, and close one only after what was pulled through it has been read.',
  );
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);

function unavailable(req: HttpRequest, attempts: number, reason: string, cause: unknown, timedOut: boolean): TskoError {
  const why = timedOut ? `no answer in time (${reason}; see the timeouts option)` : reason;
  return new TskoError(
    'TSKO_REGISTRY_UNAVAILABLE',
    `${req.method} ${describeUrl(req.url)} failed after ${attempts} attempt(s): ${why}. Is the registry running and reachable?`,
    { cause, details: { code: reason, timedOut } },
  );
}
