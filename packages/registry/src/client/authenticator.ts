import { TskoError } from '../errors.js';
import { isLoopbackRegistry } from '../reference.js';
import type { Challenge } from './challenge.js';
import type { Credential } from './credentials.js';
import { checkNextUrl, originOf } from './origin.js';
import { responseError } from './registry-errors.js';
import type { SecretSet } from './secrets.js';
import { readText } from './response-body.js';
import type { Transport } from './transport.js';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Turns credentials plus a registry's challenge into `Authorization` headers. Bearer tokens are
 * cached per scope set and dropped when the registry answers 401 again.
 */
export class Authenticator {
  private challenge?: Challenge;
  /** The registry URL whose 401 carried the challenge: its realm may not downgrade from it. */
  private challengeFrom?: URL;
  // In-flight fetches are shared, so concurrent blob uploads ask the token service once.
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: Transport,
    private readonly registry: string,
    private readonly credential: () => Promise<Credential | undefined>,
    private readonly insecure: boolean,
    private readonly secrets: SecretSet,
  ) {}

  /**
   * Remembers the registry's challenge (from a 401 on ping or any request). The caller passes
   * only challenges from the registry's own origin: its realm is then the one place besides the
   * registry that may receive the credentials.
   */
  setChallenge(challenge: Challenge | undefined, from: URL): void {
    if (challenge) {
      this.challenge = challenge;
      this.challengeFrom = from;
    }
  }

  get knowsChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** The Authorization header for these scopes, or undefined for anonymous requests. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const credential = await this.credential();
    if (challenge.scheme === 'basic') {
      if (!credential) return undefined;
      if ('username' in credential && 'password' in credential) return basic(credential.username, credential.password);
      if ('registryToken' in credential) return `Bearer ${credential.registryToken}`;
      throw new TskoError(
        'TSKO_UNAUTHORIZED',
        `${this.registry} asks for a username and password, but the credentials found are an identity token.`,
      );
    }
    if (challenge.scheme !== 'bearer') {
      throw new TskoError(
        'TSKO_UNAUTHORIZED',
        `${this.registry} asks for "${challenge.scheme}" authentication, which tsko does not support (Basic and Bearer are).`,
      );
    }
    if (credential && 'registryToken' in credential) return `Bearer ${credential.registryToken}`;
    const key = [...scopes].sort().join(' ');
    let pending = this.tokens.get(key);
    if (pending) {
      const cached = await pending.catch(() => undefined);
      if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
      pending = this.tokens.get(key);
    }
    if (!pending) {
      pending = this.fetchToken(challenge, scopes, credential);
      this.tokens.set(key, pending);
      pending.catch(() => this.tokens.get(key) === pending && this.tokens.delete(key));
    }
    return `Bearer ${(await pending).token}`;
  }

  /** Forget cached tokens for these scopes (the registry rejected them). */
  invalidate(scopes: readonly string[]): void {
    this.tokens.delete([...scopes].sort().join(' '));
  }

  private async fetchToken(
    challenge: Challenge,
    scopes: readonly string[],
    credential: Credential | undefined,
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new TskoError('TSKO_UNAUTHORIZED', `${this.registry} sent a Bearer challenge without a realm.`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new TskoError('TSKO_UNAUTHORIZED', `${this.registry} sent a Bearer challenge whose realm is not a URL.`);
    }
    if (this.challengeFrom) checkNextUrl(this.challengeFrom, url, `The token realm named by ${this.registry}`);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (this.insecure || isLoopbackRegistry(url.host)))) {
      throw new TskoError(
        'TSKO_INSECURE_REGISTRY',
        `The token service of ${this.registry} (${url.host}) is not HTTPS; refusing to send credentials to it. Add the registry to \`insecure\` if this is intended.`,
      );
    }
    const service = challenge.params.service;
    let res: Awaited<ReturnType<Transport['send']>>;
    if (credential && 'identityToken' in credential) {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'tsko',
      });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await this.transport.send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      // The token service's credentials are scoped to the realm's origin like any others.
      const header =
        credential && 'username' in credential && 'password' in credential
          ? basic(credential.username, credential.password)
          : undefined;
      res = await this.transport.send({
        method: 'GET',
        url,
        ...(header ? { authorization: { header, origin: originOf(url) } } : {}),
      });
    }
    const text = await readText(res);
    if (res.status !== 200) {
      throw responseError(
        res.status,
        this.secrets.scrub(text),
        `Getting a token for ${this.registry} from ${url.host}`,
        credential
          ? `Credentials for ${this.registry} were rejected by its token service.`
          : `No credentials were found for ${this.registry}.`,
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new TskoError(
        'TSKO_UNAUTHORIZED',
        `The token service for ${this.registry} answered with something that is not JSON.`,
      );
    }
    const token =
      typeof body.token === 'string'
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (!token)
      throw new TskoError('TSKO_UNAUTHORIZED', `The token service for ${this.registry} answered without a token.`);
    this.secrets.add(token);
    if (typeof (body as { refresh_token?: unknown }).refresh_token === 'string')
      this.secrets.add((body as { refresh_token: string }).refresh_token);
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    // Renew a little early so a long push does not race the expiry.
    return { token, expiresAt: Date.now() + Math.max(1, lifetime - 10) * 1000 };
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
