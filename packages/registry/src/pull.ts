import { guarded } from './error-wrapping.js';
import type { Digest } from './digest.js';
import { TskoError } from './errors.js';
import { Image, parseImageManifest } from './image.js';
import { parseIndexManifest } from './image-index.js';
import { streamLayer } from './layer.js';
import { isImageManifestMediaType, isIndexMediaType } from './media-types.js';
import {
  formatPlatform,
  hostPlatform,
  isAttestationPlatform,
  parsePlatform,
  platformMatches,
  type Platform,
} from './platform.js';
import {
  formatReference,
  parseReference,
  referenceIdentifier,
  referenceName,
  withIdentifier,
  type Reference,
} from './reference.js';
import { checkReferenceParts } from './names.js';
import type { RegistryOptions } from './client/registry-client.js';
import { sessionFor, type RegistrySession } from './client/session.js';
import type { Descriptor, ImageIndexManifest } from './schemas.js';

export interface PullOptions extends RegistryOptions {
  /** Which image of an index to take (default: linux and the host's architecture). */
  platform?: Platform | string;
  session?: RegistrySession;
}

/** An index in a registry: its descriptors are known, its children are fetched on demand. */
export interface RemoteIndex {
  readonly kind: 'remote-index';
  readonly reference: Reference;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly rawManifest: Buffer;
  readonly manifest: ImageIndexManifest;
  /** Image descriptors with a platform, attestation entries (unknown/unknown) left out. */
  readonly platforms: readonly (Descriptor & { platform: Platform })[];
  /** Pulls the child image for a platform or descriptor. */
  image(which: Platform | Descriptor): Promise<Image>;
}

export type Pulled = { kind: 'image'; image: Image } | { kind: 'index'; index: RemoteIndex };

function toReference(ref: string | Reference): Reference {
  if (typeof ref === 'string') return parseReference(ref);
  checkReferenceParts(ref);
  return ref;
}

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
    const manifest = parseIndexManifest(fetched.raw, `Index ${formatReference(reference)}`);
    const platforms = manifest.manifests.filter(
      (d): d is Descriptor & { platform: Platform } =>
        d.platform !== undefined && !isAttestationPlatform(d.platform) && isImageManifestMediaType(d.mediaType),
    );
    const index: RemoteIndex = {
      kind: 'remote-index',
      reference: withIdentifier(reference, { digest: fetched.digest }),
      digest: fetched.digest,
      mediaType: fetched.mediaType,
      rawManifest: fetched.raw,
      manifest,
      platforms,
      image: async (which) => {
        const descriptor = 'digest' in which ? which : selectDescriptor(platforms, which, reference);
        // A loose Platform also matches `'digest' in which`, so TS cannot tell the two apart here.
        return pullImageManifest(session, reference, descriptor.digest as Digest);
      },
    };
    return { kind: 'index', index };
  }
  if (!isImageManifestMediaType(fetched.mediaType)) {
    throw new TskoError(
      'TSKO_UNSUPPORTED_MEDIA_TYPE',
      `${formatReference(reference)} is a "${fetched.mediaType}", not an image or index.`,
    );
  }
  return { kind: 'image', image: await imageFromManifest(session, reference, fetched.raw) };
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
  if (pulled.kind === 'index') {
    return pulled.index.image(wanted ?? { os: 'linux', architecture: hostPlatform().architecture });
  }
  if (wanted && !platformMatches(wanted, pulled.image.platform)) {
    throw new TskoError(
      'TSKO_PLATFORM_NOT_FOUND',
      `${formatReference(reference)} is a single ${formatPlatform(pulled.image.platform)} image; ${formatPlatform(wanted)} was asked for.`,
    );
  }
  return pulled.image;
}

/** Picks the descriptor for a platform from an index's entries, or explains what exists. */
export function selectDescriptor<T extends Descriptor & { platform: Platform }>(
  platforms: readonly T[],
  wanted: Platform,
  reference?: Reference,
): T {
  const found = platforms.find((d) => platformMatches(wanted, d.platform));
  if (found) return found;
  const have = platforms.map((d) => formatPlatform(d.platform)).join(', ') || 'none';
  throw new TskoError(
    'TSKO_PLATFORM_NOT_FOUND',
    `${reference ? formatReference(reference) : 'The index'} has no image for ${formatPlatform(wanted)}; it has: ${have}.`,
    {
      details: { wanted: formatPlatform(wanted) },
    },
  );
}

async function pullImageManifest(session: RegistrySession, reference: Reference, digest: Digest): Promise<Image> {
  const fetched = await session.client(reference.registry).getManifest(reference.repository, digest);
  if (!isImageManifestMediaType(fetched.mediaType)) {
    throw new TskoError(
      'TSKO_UNSUPPORTED_MEDIA_TYPE',
      `${referenceName(reference)}@${digest} is a "${fetched.mediaType}", not an image manifest.`,
    );
  }
  return imageFromManifest(session, withIdentifier(reference, { digest }), fetched.raw);
}

async function imageFromManifest(session: RegistrySession, reference: Reference, raw: Buffer): Promise<Image> {
  const client = session.client(reference.registry);
  const what = `Image ${formatReference(reference)}`;
  // Validated before any field is used: the config digest goes into a URL next.
  const configDigest = parseImageManifest(raw, what).config.digest;
  const rawConfig = await client.getSmallBlob(reference.repository, configDigest);
  const source = { registry: reference.registry, repository: reference.repository };
  return Image.fromManifest(
    raw,
    rawConfig,
    (d, diffId) => {
      const id: Parameters<typeof streamLayer>[0] = {
        digest: d.digest,
        diffId,
        size: d.size,
        mediaType: d.mediaType,
        source,
      };
      if (d.annotations) id.annotations = d.annotations;
      if (d.urls) id.urls = d.urls;
      return streamLayer(id, () => client.getBlob(reference.repository, d.digest, d.size));
    },
    what,
    source,
  );
}
