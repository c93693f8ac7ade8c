import { guarded } from '../error-wrapping.js';
import type { Digest } from '../digest.js';
import { TskoError } from '../errors.js';
import type { Image } from '../image.js';
import { imageFromManifest } from '../image-from-manifest.js';
import { lazyIndex, type LazyIndex } from '../lazy-index.js';
import { isImageManifestMediaType, isIndexMediaType } from '../media-types.js';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches, type Platform } from '../platform.js';
import {
  formatReference,
  toReference,
  referenceIdentifier,
  referenceName,
  withIdentifier,
  type Reference,
} from '../reference.js';
import type { RegistryOptions } from '../client/registry-client.js';
import { sessionFor, type RegistrySession } from '../client/session.js';

export interface PullOptions extends RegistryOptions {
  /** Which image of an index to take (default: linux and the host's architecture). */
  platform?: Platform | string;
  session?: RegistrySession;
}

/** What a reference names: one image, or an index whose children stay in the registry until loaded. */
export type Pulled = Image | LazyIndex;

/**
 * Resolves a reference to what it names: one image, or an index whose children stay remote.
 * Every manifest and config is digest-verified; layers are fetched only when opened.
 */
export async function pull(ref: string | Reference, options: Omit<PullOptions, 'platform'> = {}): Promise<Pulled> {
  return guarded('pull', () => pullUnguarded(ref, options));
}

async function pullUnguarded(ref: string | Reference, options: Omit<PullOptions, 'platform'>): Promise<Pulled> {
  const reference = toReference(ref);
  const session = sessionFor(options);
  const client = session.client(reference.registry);
  const fetched = await client.getManifest(reference.repository, referenceIdentifier(reference));
  if (isIndexMediaType(fetched.mediaType)) {
    const pinned = withIdentifier(reference, { digest: fetched.digest });
    return lazyIndex(fetched.raw, {
      name: formatReference(reference),
      digest: fetched.digest,
      mediaType: fetched.mediaType,
      loadImage: (d) => pullImageManifest(session, pinned, d.digest),
    });
  }
  if (!isImageManifestMediaType(fetched.mediaType)) {
    throw new TskoError(
      'TSKO_UNSUPPORTED_MEDIA_TYPE',
      `${formatReference(reference)} is a "${fetched.mediaType}", not an image or index.`,
    );
  }
  return registryImage(session, reference, fetched.raw);
}

/**
 * Pulls one image. For an index, takes the child for `options.platform` (default linux on
 * the host's architecture); for a single image, checks its platform when one was asked for.
 */
export async function pullImage(ref: string | Reference, options: PullOptions = {}): Promise<Image> {
  return guarded('pullImage', () => pullImageUnguarded(ref, options));
}

async function pullImageUnguarded(ref: string | Reference, options: PullOptions): Promise<Image> {
  const reference = toReference(ref);
  const wanted = typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform;
  const pulled = await pull(reference, { ...options, session: sessionFor(options) });
  if (pulled.kind === 'lazy-index') {
    return pulled.image(wanted ?? { os: 'linux', architecture: hostPlatform().architecture });
  }
  if (wanted && !platformMatches(wanted, pulled.platform)) {
    throw new TskoError(
      'TSKO_PLATFORM_NOT_FOUND',
      `${formatReference(reference)} is a single ${formatPlatform(pulled.platform)} image; ${formatPlatform(wanted)} was asked for.`,
    );
  }
  return pulled;
}

async function pullImageManifest(session: RegistrySession, reference: Reference, digest: Digest): Promise<Image> {
  const fetched = await session.client(reference.registry).getManifest(reference.repository, digest);
  if (!isImageManifestMediaType(fetched.mediaType)) {
    throw new TskoError(
      'TSKO_UNSUPPORTED_MEDIA_TYPE',
      `${referenceName(reference)}@${digest} is a "${fetched.mediaType}", not an image manifest.`,
    );
  }
  return registryImage(session, withIdentifier(reference, { digest }), fetched.raw);
}

/** An image whose config and layers are blobs of the reference's repository. */
function registryImage(session: RegistrySession, reference: Reference, raw: Buffer): Promise<Image> {
  const client = session.client(reference.registry);
  const source = { registry: reference.registry, repository: reference.repository };
  return imageFromManifest(
    raw,
    {
      source,
      readBlob: (digest) => client.getSmallBlob(reference.repository, digest),
      openLayer: (d) => client.getBlob(reference.repository, d.digest, d.size),
    },
    `Image ${formatReference(reference)}`,
  );
}
