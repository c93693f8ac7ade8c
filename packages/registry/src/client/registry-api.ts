import { isTskoError, TskoError } from '../errors.js';
import { isLoopbackRegistry } from '../reference.js';
import { Authenticator } from './authenticator.js';
import { parseChallenges, repositoryScope, sameChallenge, type Challenge } from './challenge.js';
import { lookupCredential, type Credential, type CredentialSource } from './credentials.js';
import { checkApiPath } from '../names.js';
import { checkNextUrl, describeUrl, foreignChallengeError, originOf, resolveLocation } from './origin.js';
import { findApiBase, forgetApiBase } from './api-base.js';
import { parseRegistryErrors, responseError } from './registry-errors.js';
import { credentialPlaces, unauthorizedError } from './unauthorized.js';
import { SecretSet } from './secrets.js';
import type { Transport, HttpRequest, HttpResponse, TransportOptions } from './transport.js';
import { readText } from './response-body.js';

/** Settings shared by every registry a push or pull talks to. */
export interface RegistryOptions extends TransportOptions {
  /** Explicit credentials; they win over docker and containers config files. */
  credentials?: CredentialSource;
  /**
   * Registries (host[:port]) where plain HTTP is allowed. Loopback registries (localhost,
   * 127.0.0.0/8, [::1]) are always allowed; HTTPS is still tried first everywhere.
   */
  insecure?: readonly string[];
  /** Environment for credential lookup (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
}

export type Action = 'pull' | 'push';

/**
 * Authenticated requests to one registry: where its API answers (ping, remembered across
 * calls), credentials and the challenge they answer, and failures turned into typed errors
 * with every secret scrubbed. The endpoints themselves are in registry-client.ts.
 */
export class RegistryApi {
  readonly registry: string;
  private base?: Promise<URL>;
  /** The challenge the ping (perhaps a remembered one) answered `/v2/` with. */
  private pinged?: Challenge;
  private readonly auth: Authenticator;
  private readonly insecure: boolean;
  private credentialPromise?: Promise<Credential | undefined>;
  protected readonly options: RegistryOptions;

  /** `secrets` is shared by a session, whose transport events it also guards. */
  constructor(
    registry: string,
    protected readonly transport: Transport,
    options: RegistryOptions = {},
    protected readonly secrets = new SecretSet(),
  ) {
    this.registry = registry;
    const onEvent = secrets.guardEvents(options.onEvent);
    this.options = onEvent ? { ...options, onEvent } : options;
    this.insecure = isLoopbackRegistry(registry) || (options.insecure ?? []).includes(registry);
    this.auth = new Authenticator(transport, registry, () => this.credential(), this.insecure, secrets);
  }

  private credential(): Promise<Credential | undefined> {
    const lookup: Parameters<typeof lookupCredential>[1] = {};
    if (this.options.credentials) lookup.credentials = this.options.credentials;
    if (this.options.env) lookup.env = this.options.env;
    if (this.options.signal) lookup.signal = this.options.signal;
    this.credentialPromise ??= lookupCredential(this.registry, lookup).then((found) => {
      this.secrets.addCredential(found);
      return found;
    });
    return this.credentialPromise;
  }

  /** Whether the registry asks for authentication (its `/v2/` ping), and whether credentials were found for it. */
  async authState(): Promise<{ challenged: boolean; credentialsFound: boolean }> {
    await this.baseUrl();
    return { challenged: this.auth.knowsChallenge, credentialsFound: (await this.credential()) !== undefined };
  }

  /** Where credentials for this registry were looked for (for "no credentials found" messages). */
  credentialPlaces(): string[] {
    return credentialPlaces(this.options.env ?? process.env, this.options.credentials !== undefined);
  }

  /**
   * The API base URL; found by pinging `/v2/` over HTTPS, then HTTP where allowed, or
   * remembered from a recent call with the same settings (api-base.ts).
   */
  baseUrl(): Promise<URL> {
    this.base ??= this.probe();
    return this.base;
  }

  private async probe(): Promise<URL> {
    const found = await findApiBase(this.transport, this.registry, this.insecure);
    if (found.challenge) this.auth.setChallenge(found.challenge, new URL('/v2/', found.base));
    this.pinged = found.challenge;
    return found.base;
  }

  /**
   * Makes the next call ping again rather than trust a remembered base. Called after a failure
   * that says the registry's answer to `/v2/` may have changed: the connection failed
   * (refused, reset, timed out, TLS), the registry failed (5xx), it challenged in a way the
   * ping did not (a new scheme, realm or service), or something other than a registry API
   * answered (fail()). A 404, a 403 or a denied scope answers about one repository: kept.
   */
  private forgetBase(): void {
    forgetApiBase(this.transport, this.registry, this.insecure);
  }

  /**
   * Sends a request, authenticated only if it goes to the registry's own origin; re-authenticates
   * once on the registry's 401 (replayable bodies only). A relative path is checked against the
   * distribution grammar first; an absolute one (an upload Location) may not downgrade HTTPS.
   * Whatever fails comes out with every credential scrubbed.
   */
  async request(
    req: Omit<HttpRequest, 'url'> & { path: string; query?: Record<string, string> },
    scopes: readonly string[],
  ): Promise<HttpResponse> {
    try {
      return await this.sendScoped(req, scopes);
    } catch (err) {
      if (isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') || isTskoError(err, 'TSKO_TLS')) this.forgetBase();
      throw this.secrets.scrubError(err);
    }
  }

  private async sendScoped(
    req: Omit<HttpRequest, 'url'> & { path: string; query?: Record<string, string> },
    scopes: readonly string[],
  ): Promise<HttpResponse> {
    const base = await this.baseUrl();
    let url: URL;
    if (/^https?:/i.test(req.path)) {
      url = new URL(req.path);
      checkNextUrl(base, url, `An upload location from ${this.registry}`);
    } else {
      checkApiPath(req.path);
      url = new URL(req.path, base);
    }
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const home = originOf(base) === originOf(url);
    const send = async () => {
      // Credentials are only ever computed for the registry's origin; the transport checks
      // each hop again (origin.ts).
      const header = home ? await this.auth.header(scopes) : undefined;
      const answer = await this.transport.send({
        ...req,
        url,
        ...(header ? { authorization: { header, origin: originOf(base) } } : {}),
      });
      const rechallenged =
        answer.status === 401 &&
        originOf(answer.url) === originOf(base) &&
        !sameChallenge(this.pinged, parseChallenges(headerString(answer, 'www-authenticate'))[0]);
      if (answer.status >= 500 || rechallenged) this.forgetBase();
      return answer;
    };
    let res = await send();
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    // A challenge from another origin (after a redirect, or at a foreign Location) is never
    // answered with this registry's credentials nor stored as its challenge: fail() refuses it.
    if (res.status === 401 && replayable && originOf(res.url) === originOf(base)) {
      const challenge = parseChallenges(headerString(res, 'www-authenticate'))[0];
      if (challenge?.params.error === 'insufficient_scope' && this.auth.knowsChallenge) return res;
      await res.body.dump().catch(() => undefined);
      this.auth.setChallenge(challenge, res.url);
      this.auth.invalidate(scopes);
      res = await send();
    }
    return res;
  }

  /** Reads a failed response into a typed error, with every credential scrubbed from its text. */
  async fail(res: HttpResponse, what: string): Promise<TskoError> {
    // Scrubbed before parsing: a message cut to length could keep part of a secret otherwise.
    const body = this.secrets.scrub(await readText(res));
    // Not the registry API's answer about a name (no `errors[]`): something else now answers
    // at the remembered base, e.g. Go's "HTTP request to an HTTPS server" 400 after the
    // registry restarted with TLS.
    if (![401, 403, 404].includes(res.status) && !parseRegistryErrors(body).length) this.forgetBase();
    const challenge = parseChallenges(headerString(res, 'www-authenticate'))[0];
    const base = await this.baseUrl();
    let err: TskoError;
    if (res.status === 401 && originOf(res.url) !== originOf(base)) {
      err = foreignChallengeError(what, this.registry, res.url);
    } else if (res.status === 401 && challenge?.params.error === 'insufficient_scope') {
      err = new TskoError(
        'TSKO_DENIED',
        `${what} was denied: the registry granted no ${challenge.params.scope ?? 'such'} access. Use credentials that may do this.`,
        { status: 401, registryErrors: [{ code: 'insufficient_scope' }] },
      );
    } else if (res.status === 401) {
      const found = (await this.credential().catch(() => undefined)) !== undefined;
      const errors = responseError(res.status, body, what).registryErrors ?? [];
      err = unauthorizedError(
        this.registry,
        what,
        found,
        this.credentialPlaces(),
        401,
        errors.map((e) => e.code).join(', '),
      );
    } else {
      err = responseError(res.status, body, what);
    }
    return this.secrets.scrubError(err) as TskoError;
  }

  scopes(repository: string, actions: readonly Action[], extra: readonly string[] = []): string[] {
    return [repositoryScope(repository, actions), ...extra];
  }

  /** The upload URL a response points to. */
  location(res: HttpResponse): URL {
    const location = headerString(res, 'location');
    if (!location)
      throw new TskoError(
        'TSKO_REGISTRY_ERROR',
        `${describeUrl(res.url)} answered ${res.status} without a Location header.`,
      );
    // Relative locations resolve against the request; the query (upload state) is kept.
    return resolveLocation(location, res.url, `The upload location from ${this.registry}`);
  }
}

/** A response header's first value. */
export function headerString(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
