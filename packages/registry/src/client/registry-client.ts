import type { Readable } from 'node:stream';
import { isDigest, parseDigest, sha256, verifyBytes, type Digest } from '../digest.js';
import { TskoError } from '../errors.js';
import { MANIFEST_ACCEPT } from '../media-types.js';
import { downloadBlob, fetchWhole } from './blob-download.js';
import { uploadBlob, type UploadableBlob } from './blob-upload.js';
import { repositoryScope } from './challenge.js';
import { parseRepositoryPath } from '../names.js';
import { headerString, RegistryApi, type Action } from './registry-api.js';

export type { RegistryOptions } from './registry-api.js';

/** A fetched manifest: exact bytes, media type and digest. */
export interface FetchedManifest {
  raw: Buffer;
  mediaType: string;
  digest: Digest;
}

const MANIFEST_LIMIT = 4 * 1024 * 1024;

/**
 * The distribution API of one registry: manifests, blobs, uploads and mounts, sent through
 * RegistryApi's authenticated requests.
 */
export class RegistryClient extends RegistryApi {
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
