import { isTskoError, TskoError } from '../errors.js';
import { registryApiHost } from '../reference.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { networkErrorCode } from './retry-policy.js';
import type { Transport } from './transport.js';

/** What a TLS client sees when the server answers in plain HTTP. */
const PLAIN_HTTP_CODES = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER']);

/** Where a registry's API answers, and the challenge it answered `GET /v2/` (under `base`) with, if any. */
export interface PingResult {
  base: URL;
  challenge?: Challenge;
}

type SchemeAnswer = { ok: true; result: () => PingResult } | { ok: false; error: unknown };

/**
 * Finds a registry's API base URL by pinging `/v2/` over HTTPS, and where plain HTTP is
 * allowed (`insecure`: loopback or listed) over HTTP at the same time, as go-containerregistry
 * does: a plain registry costs one round trip, not a failed TLS handshake and then the
 * request. HTTPS wins whenever it answers. Never falls back to HTTP because a certificate
 * failed to verify (`TSKO_TLS`), after an abort or a non-registry answer, or when HTTPS timed
 * out (a hung host, not a plain one).
 */
export async function pingRegistry(transport: Transport, registry: string, insecure: boolean): Promise<PingResult> {
  const host = registryApiHost(registry);
  await transport.ready();
  // One budget for both schemes, so a hung host fails once, not once per scheme.
  const deadline = Date.now() + transport.timeouts.requestMs;
  const secure = ping(transport, 'https', host, deadline);
  // The scheme not taken is left to finish unread (a ping never rejects).
  const plain = insecure ? ping(transport, 'http', host, deadline) : undefined;
  const first = await secure;
  if (first.ok) return first.result();
  const err = first.error;
  const final =
    isTskoError(err, 'TSKO_TLS') ||
    isTskoError(err, 'TSKO_ABORTED') ||
    isTskoError(err, 'TSKO_REGISTRY_ERROR') ||
    (isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') && err.details?.timedOut === true);
  if (final) throw err;
  if (!plain) {
    if (PLAIN_HTTP_CODES.has(networkErrorCode((err as { cause?: unknown }).cause) ?? '')) {
      throw new TskoError(
        'TSKO_INSECURE_REGISTRY',
        `${registry} does not speak HTTPS. Plain HTTP is only used for loopback registries or those listed in the \`insecure\` option.`,
        { cause: err },
      );
    }
    throw err;
  }
  const second = await plain;
  if (second.ok) return second.result();
  throw second.error;
}

/** `GET /v2/` over one scheme: a registry answers 200, or 401 with its challenge. */
async function ping(
  transport: Transport,
  scheme: 'https' | 'http',
  host: string,
  deadline: number,
): Promise<SchemeAnswer> {
  const url = new URL(`${scheme}://${host}/v2/`);
  try {
    const res = await transport.send({ method: 'GET', url, deadline });
    await res.body.dump().catch(() => undefined);
    if (res.status !== 401 && res.status !== 200) {
      throw new TskoError(
        'TSKO_REGISTRY_ERROR',
        `${host} answered HTTP ${res.status} to GET /v2/; it does not look like an OCI registry.`,
        { status: res.status },
      );
    }
    const header = res.headers['www-authenticate'];
    const challenge = res.status === 401 ? parseChallenges(Array.isArray(header) ? header[0] : header)[0] : undefined;
    return {
      ok: true,
      result: () => ({ base: new URL(`${scheme}://${host}/`), ...(challenge ? { challenge } : {}) }),
    };
  } catch (error) {
    return { ok: false, error };
  }
}
