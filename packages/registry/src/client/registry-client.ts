import type { Readable } from 'node:stream';
import { isDigest, parseDigest, sha256, verifyBytes, type Digest } from '../digest.js';
import { TskoError } from '../errors.js';
import { MANIFEST_ACCEPT } from '../media-types.js';
import { isLoopbackRegistry } from '../reference.js';
import { Authenticator } from './authenticator.js';
import { downloadBlob, fetchWhole } from './blob-download.js';
import { uploadBlob, type UploadableBlob } from './blob-upload.js';
import { parseChallenges, repositoryScope } from './challenge.js';
import { lookupCredential, type Credential, type CredentialSource } from './credentials.js';
import { checkApiPath, parseRepositoryPath } from '../names.js';
import { checkNextUrl, foreignChallengeError, originOf, resolveLocation } from './origin.js';
import { findApiBase, forgetApiBase } from './api-base.js';
import { responseError } from './registry-errors.js';
import { credentialPlaces, unauthorizedError } from './unauthorized.js';
import { SecretSet } from './secrets.js';
import type { Transport, HttpRequest, HttpResponse, TransportOptions } from './transport.js';
import { describeUrl } from './origin.js';
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

/** A fetched manifest: exact bytes, media type and digest. */
export interface FetchedManifest {
  raw: Buffer;
  mediaType: string;
  digest: Digest;
}

type Action = 'pull' | 'push';
const MANIFEST_LIMIT = 4 * 1024 * 1024;

/**
 * The distribution API of one registry: ping, manifests, blobs, uploads and mounts, with
 * authentication negotiated from the registry's own challenge.
 */
export class RegistryClient {
  readonly registry: string;
  private base?: Promise<URL>;
  private readonly auth: Authenticator;
  private readonly insecure: boolean;
  private credentialPromise?: Promise<Credential | undefined>;
  private readonly options: RegistryOptions;

  /** `secrets` is shared by a session, whose transport events it also guards. */
  constructor(
    registry: string,
    private readonly transport: Transport,
    options: RegistryOptions = {},
    private readonly secrets = new SecretSet(),
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
    if (found.challenge) this.auth.setChallenge(found.challenge, found.challengedAt);
    return found.base;
  }

  /** After a failure the next call pings again rather than trust a remembered base. */
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
      this.forgetBase();
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
      return this.transport.send({
        ...req,
        url,
        ...(header ? { authorization: { header, origin: originOf(base) } } : {}),
      });
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
    this.forgetBase();
    // Scrubbed before parsing: a message cut to length could keep part of a secret otherwise.
    const body = this.secrets.scrub(await readText(res));
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

  /** GETs a manifest by tag or digest; the bytes are verified against the digest. */
  async getManifest(repository: string, identifier: string, accept = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const what = `Fetching manifest ${this.registry}/${repository}:${identifier}`;
    const { res, bytes: raw } = await fetchWhole(
      this,
      this.transport,
      { method: 'GET', path: `/v2/${repository}/manifests/${identifier}`, headers: { accept }, followRedirects: true },
      this.scopes(repository, ['pull']),
      MANIFEST_LIMIT,
      what,
    );
    const digest = verifiedManifestDigest(raw, identifier, headerString(res, 'docker-content-digest'), what);
    // The media type is the registry's text and may end up in a message: scrubbed like a body.
    return { raw, digest, mediaType: this.secrets.scrub(manifestMediaType(raw, headerString(res, 'content-type'))) };
  }

  /**
   * HEADs a manifest: its digest and media type, or undefined if absent. `actions` is the scope
   * asked for, so that a push's HEAD gets the token the push then uses.
   */
  async headManifest(
    repository: string,
    identifier: string,
    actions: readonly Action[] = ['pull'],
  ): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
    const res = await this.request(
      {
        method: 'HEAD',
        path: `/v2/${repository}/manifests/${identifier}`,
        headers: { accept: MANIFEST_ACCEPT },
        followRedirects: true,
      },
      this.scopes(repository, actions),
    );
    await res.body.dump().catch(() => undefined);
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw await this.fail(res, `Checking manifest ${this.registry}/${repository}:${identifier}`);
    const digest = headerString(res, 'docker-content-digest');
    // The header is the registry's word; it must be a digest before anyone builds a URL from it.
    if (!digest || !isDigest(digest)) return undefined;
    return {
      digest: digest,
      mediaType: headerString(res, 'content-type') ?? '',
      size: Number(headerString(res, 'content-length') ?? 0),
    };
  }

  /** PUTs manifest bytes under a tag or digest; checks the registry agrees on the digest. */
  async putManifest(repository: string, identifier: string, raw: Buffer, mediaType: string): Promise<Digest> {
    const digest = sha256(raw);
    const what = `Pushing manifest ${this.registry}/${repository}:${identifier}`;
    const res = await this.request(
      {
        method: 'PUT',
        path: `/v2/${repository}/manifests/${identifier}`,
        headers: { 'content-type': mediaType },
        body: raw,
      },
      this.scopes(repository, ['pull', 'push']),
    );
    if (res.status !== 201 && res.status !== 200) throw await this.fail(res, what);
    await res.body.dump().catch(() => undefined);
    const echoed = headerString(res, 'docker-content-digest');
    if (echoed?.startsWith('sha256:') && echoed !== digest) {
      throw new TskoError(
        'TSKO_DIGEST_MISMATCH',
        `${what}: the registry stored it as ${echoed} but its bytes hash to ${digest}.`,
      );
    }
    return digest;
  }

  /** True if the blob exists in the repository. */
  async hasBlob(repository: string, digest: Digest, actions: readonly Action[] = ['pull']): Promise<boolean> {
    const res = await this.request(
      { method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, followRedirects: true },
      this.scopes(repository, actions),
    );
    await res.body.dump().catch(() => undefined);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.fail(res, `Checking blob ${digest} in ${this.registry}/${repository}`);
  }

  /**
   * Streams a blob, verifying digest and size; a mismatch fails the stream. A connection that
   * breaks mid-body is resumed (see downloadBlob).
   */
  getBlob(repository: string, digest: Digest, size?: number): Promise<Readable> {
    return downloadBlob(
      this,
      this.transport,
      `/v2/${repository}/blobs/${digest}`,
      this.scopes(repository, ['pull']),
      digest,
      size,
      `Blob ${digest} from ${this.registry}/${repository}`,
    );
  }

  /** Reads a small blob (a config) into memory, verified. */
  async getSmallBlob(repository: string, digest: Digest, limit = 16 * 1024 * 1024): Promise<Buffer> {
    const what = `Fetching blob ${digest} from ${this.registry}/${repository}`;
    const { bytes } = await fetchWhole(
      this,
      this.transport,
      { method: 'GET', path: `/v2/${repository}/blobs/${digest}`, followRedirects: true },
      this.scopes(repository, ['pull']),
      limit,
      what,
    );
    verifyBytes(bytes, digest, `Blob ${digest} from ${this.registry}/${repository}`);
    return bytes;
  }

  /**
   * Tries a cross-repository mount. Returns true when mounted (201); otherwise the registry
   * opened an upload session (202) whose URL is returned for the upload to use.
   */
  async mountBlob(repository: string, digest: Digest, from: string): Promise<true | URL> {
    parseRepositoryPath(from, 'mount source repository');
    const res = await this.request(
      { method: 'POST', path: `/v2/${repository}/blobs/uploads/`, query: { mount: digest, from } },
      this.scopes(repository, ['pull', 'push'], [repositoryScope(from, ['pull'])]),
    );
    await res.body.dump().catch(() => undefined);
    if (res.status === 201) return true;
    if (res.status === 202) return this.location(res);
    throw await this.fail(res, `Mounting blob ${digest} into ${this.registry}/${repository}`);
  }

  /** Uploads a blob (see blob-upload.ts): restarts heal, abandoned sessions are DELETEd. */
  uploadBlob(repository: string, blob: UploadableBlob, session?: URL): Promise<void> {
    return uploadBlob(
      this,
      this.transport,
      this.options.onEvent,
      repository,
      this.scopes(repository, ['pull', 'push']),
      blob,
      session,
    );
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

function headerString(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function manifestMediaType(raw: Buffer, contentType: string | undefined): string {
  try {
    const mt = (JSON.parse(raw.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof mt === 'string') return mt;
  } catch {
    // Validated by the caller's schema; fall back to the header here.
  }
  return contentType?.split(';')[0]?.trim() ?? '';
}

function verifiedManifestDigest(raw: Buffer, identifier: string, header: string | undefined, what: string): Digest {
  if (identifier.includes(':')) {
    const expected = parseDigest(identifier, `${what} digest`);
    verifyBytes(raw, expected, what);
    return expected;
  }
  const digest = sha256(raw);
  if (header?.startsWith('sha256:') && header !== digest) {
    throw new TskoError(
      'TSKO_DIGEST_MISMATCH',
      `${what}: the registry says ${header} but the bytes hash to ${digest}.`,
    );
  }
  return digest;
}
