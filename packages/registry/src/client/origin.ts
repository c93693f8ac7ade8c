import { TskoError } from '../errors.js';

/**
 * Where credentials may go. This is the one rule (go-containerregistry's, too): an
 * `Authorization` header is only ever attached to a request whose origin (scheme + host + port)
 * is the origin it was issued for: the registry's API origin for registry credentials and
 * tokens, the token realm named by the registry's own challenge for the token service's
 * credentials. Every hop of every request (redirects included) is checked by the transport
 * with `authorizationFor`; nothing else sets the header.
 */
export interface ScopedAuthorization {
  /** The header value, `Basic …` or `Bearer …`. */
  header: string;
  /** The only origin it may be sent to, e.g. `https://registry.example.com`. */
  origin: string;
}

/** Origin of a URL (`https://host:port`, default ports left out), as browsers compare them. */
export function originOf(url: URL): string {
  return url.origin;
}

/** The Authorization header for a request to `url`, or undefined if the scope does not cover it. */
export function authorizationFor(url: URL, scoped: ScopedAuthorization | undefined): string | undefined {
  return scoped && originOf(url) === scoped.origin ? scoped.header : undefined;
}

/** Request headers without any Authorization the caller may have put there by mistake. */
export function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'authorization') out[k] = v;
  return out;
}

/**
 * Refuses a URL a response points us to (a redirect, an upload `Location`, a token realm) when
 * it would downgrade HTTPS to plain HTTP or leave HTTP(S) altogether.
 */
export function checkNextUrl(from: URL, next: URL, what: string): void {
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new TskoError('TSKO_REGISTRY_ERROR', `${what} points to a ${next.protocol} URL; only http(s) is followed.`);
  }
  if (from.protocol === 'https:' && next.protocol !== 'https:') {
    throw new TskoError(
      'TSKO_INSECURE_REGISTRY',
      `${what} points from HTTPS to plain HTTP (${next.host}); refusing to follow, so nothing is sent in clear.`,
      {
        details: { from: from.host, to: next.host },
      },
    );
  }
}

/** Resolves a `Location` header against the URL that sent it, refusing downgrades. */
export function resolveLocation(location: string, responseUrl: URL, what: string): URL {
  let next: URL;
  try {
    next = new URL(location, responseUrl);
  } catch {
    throw new TskoError('TSKO_REGISTRY_ERROR', `${what} answered with a Location that is not a URL.`);
  }
  checkNextUrl(responseUrl, next, what);
  return next;
}

/**
 * A 401 from an origin other than the registry's (a storage redirect, a foreign upload
 * Location). It is refused rather than answered: its realm is not the registry's, so neither
 * the registry's credentials nor its tokens may go there.
 */
export function foreignChallengeError(what: string, registry: string, at: URL): TskoError {
  return new TskoError(
    'TSKO_UNAUTHORIZED',
    `${what} failed: ${registry} pointed the request to ${at.host}, which asks for authentication. tsko never sends a registry's credentials to another host; configure the registry to serve or redirect to content that needs none.`,
    {
      status: 401,
      details: { host: at.host },
    },
  );
}

/** Path for messages and events: never the query, which may hold upload state. */
export function describeUrl(url: URL): string {
  return `${url.host}${url.pathname}`;
}
