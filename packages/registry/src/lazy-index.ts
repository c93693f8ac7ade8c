import { sha256, type Digest } from './digest.js';
import { TskoError } from './errors.js';
import type { Image } from './image.js';
import { parseIndexManifest, type ImageIndex } from './image-index.js';
import { isImageManifestMediaType, MediaType } from './media-types.js';
import { formatPlatform, isAttestationPlatform, platformMatches, type Platform } from './platform.js';
import { formatReference, type Reference } from './reference.js';
import type { Descriptor, ImageIndexManifest } from './schemas.js';

/** An index entry that names an image for one platform. */
export type PlatformDescriptor = Descriptor & { platform: Platform };

/**
 * An index whose manifest is known and whose child images load on demand. A pulled index
 * (children stay in the registry), an index read from an OCI layout (children stay in
 * `blobs/`) and an in-memory `ImageIndex` (see `lazyIndexOf`) are all this one type, so code
 * that picks platforms from a base does not care where the base came from.
 */
export interface LazyIndex {
  readonly kind: 'lazy-index';
  /** Where the index was read from, for messages: a reference, a layout path. */
  readonly name: string;
  readonly digest: Digest;
  readonly mediaType: string;
  /** The manifest bytes exactly as read. */
  readonly rawManifest: Buffer;
  readonly manifest: Readonly<ImageIndexManifest>;
  /** Image entries with a platform, in index order; attestations (unknown/unknown) and nested indexes left out. */
  readonly platforms: readonly PlatformDescriptor[];
  /** A descriptor pointing at this index's manifest. */
  descriptor(): Descriptor;
  /** Loads the child image for a platform (the first entry that matches) or for one of `manifest.manifests`. */
  image(which: Platform | Descriptor): Promise<Image>;
}

/** What `lazyIndex` needs besides the bytes: how to load a child, and what the source said about the index. */
export interface LazyIndexSource {
  /** Loads the image a descriptor of this index names (already known to be one of its entries). */
  loadImage(descriptor: Descriptor): Promise<Image>;
  /** For messages, e.g. `registry.example/app@sha256:…` or `/layouts/base:v1`. */
  name: string;
  /** The digest the bytes were read (and verified) under; default: their sha256. */
  digest?: Digest;
  /** The media type the source reported (a registry's Content-Type, a layout descriptor). */
  mediaType?: string;
}

/**
 * Builds the lazy view of index bytes. The manifest is validated first; the platform list is
 * computed here and nowhere else.
 */
export function lazyIndex(raw: Uint8Array, source: LazyIndexSource): LazyIndex {
  const rawManifest = Buffer.from(raw);
  const manifest = parseIndexManifest(rawManifest, `Index ${source.name}`);
  const digest = source.digest ?? sha256(rawManifest);
  const mediaType = source.mediaType ?? manifest.mediaType ?? MediaType.OCI_INDEX;
  const platforms = Object.freeze(
    manifest.manifests.filter(
      (d): d is PlatformDescriptor =>
        d.platform !== undefined && !isAttestationPlatform(d.platform) && isImageManifestMediaType(d.mediaType),
    ),
  );
  const index: LazyIndex = {
    kind: 'lazy-index',
    name: source.name,
    digest,
    mediaType,
    rawManifest,
    manifest,
    platforms,
    descriptor: () => ({ mediaType, digest, size: rawManifest.length }),
    image: async (which) => {
      if (!('digest' in which)) return source.loadImage(selectDescriptor(platforms, which, source.name));
      // A loose Platform also passes `'digest' in which`; what is asked for here is a descriptor.
      const wanted = (which as Descriptor).digest;
      const entry = manifest.manifests.find((d) => d.digest === wanted);
      if (!entry) {
        throw new TskoError('TSKO_NOT_FOUND', `Index ${source.name} has no entry ${wanted}.`, {
          details: { digest: wanted },
        });
      }
      if (!isImageManifestMediaType(entry.mediaType)) {
        throw new TskoError(
          'TSKO_UNSUPPORTED_MEDIA_TYPE',
          `Entry ${entry.digest} of index ${source.name} is a "${entry.mediaType}", not an image manifest.`,
          { details: { digest: entry.digest, mediaType: entry.mediaType } },
        );
      }
      return source.loadImage(entry);
    },
  };
  return Object.freeze(index);
}

/** An in-memory `ImageIndex` seen as a `LazyIndex` (its children are loaded already). */
export function lazyIndexOf(index: ImageIndex, name = `index ${index.digest}`): LazyIndex {
  return lazyIndex(index.rawManifest, {
    name,
    digest: index.digest,
    mediaType: index.mediaType,
    loadImage: async (descriptor) => {
      const child = index.children.find((c) => c.image.digest === descriptor.digest)?.image;
      if (child?.kind !== 'image') {
        throw new TskoError('TSKO_UNSUPPORTED_MEDIA_TYPE', `Entry ${descriptor.digest} of ${name} is not an image.`);
      }
      return child;
    },
  });
}

/**
 * Picks the descriptor for a platform from an index's entries (the first that matches), or
 * explains what exists. `where` names the index in the message.
 */
export function selectDescriptor<T extends PlatformDescriptor>(
  platforms: readonly T[],
  wanted: Platform,
  where: string | Reference = 'The index',
): T {
  const found = platforms.find((d) => platformMatches(wanted, d.platform));
  if (found) return found;
  const have = platforms.map((d) => formatPlatform(d.platform)).join(', ') || 'none';
  throw new TskoError(
    'TSKO_PLATFORM_NOT_FOUND',
    `${typeof where === 'string' ? where : formatReference(where)} has no image for ${formatPlatform(wanted)}; it has: ${have}.`,
    { details: { wanted: formatPlatform(wanted) } },
  );
}

/** True for a `LazyIndex` (from any copy of this package). */
export function isLazyIndex(value: unknown): value is LazyIndex {
  const v = value as Partial<LazyIndex> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.kind === 'lazy-index' &&
    Buffer.isBuffer(v.rawManifest) &&
    Array.isArray(v.platforms) &&
    typeof v.image === 'function'
  );
}
