import { canonicalJsonBytes } from './canonical-json.js';
import { sha256, type Digest } from './digest.js';
import type { Image } from './image.js';
import { MediaType } from './media-types.js';
import type { Platform } from './platform.js';
import { imageIndexSchema, parseJson, type Descriptor, type ImageIndexManifest } from './schemas.js';

/** One entry of an index we create: an image (or nested index) and how to describe it. */
export interface IndexChild {
  readonly image: Image | ImageIndex;
  readonly platform?: Platform;
  readonly annotations?: Record<string, string>;
}

// See IMAGE_BRAND in image.ts.
const INDEX_BRAND = Symbol.for('@tsko/registry.ImageIndex');

/**
 * An immutable image index (OCI) or manifest list (Docker). Children are concrete values, so
 * pushing an index pushes everything it names.
 */
export class ImageIndex {
  readonly kind = 'index' as const;
  readonly manifest: Readonly<ImageIndexManifest>;
  readonly rawManifest: Buffer;
  readonly digest: Digest;
  readonly children: readonly IndexChild[];

  private constructor(raw: Buffer, manifest: ImageIndexManifest, children: readonly IndexChild[]) {
    this.rawManifest = raw;
    this.manifest = manifest;
    this.children = Object.freeze([...children]);
    this.digest = sha256(raw);
    Object.freeze(this);
  }

  get [INDEX_BRAND](): true {
    return true;
  }

  get mediaType(): string {
    return this.manifest.mediaType ?? MediaType.OCI_INDEX;
  }

  descriptor(): Descriptor {
    return { mediaType: this.mediaType, digest: this.digest, size: this.rawManifest.length };
  }

  /** Creates an index over `children`, in the given order, serialised canonically. */
  static create(
    children: readonly IndexChild[],
    options: { mediaType?: string; annotations?: Record<string, string>; subject?: Descriptor } = {},
  ): ImageIndex {
    const mediaType = options.mediaType ?? MediaType.OCI_INDEX;
    const manifests = children.map((child) => {
      const d: Descriptor = child.image.descriptor();
      const platform = child.platform ?? (child.image.kind === 'image' ? child.image.platform : undefined);
      if (platform) d.platform = { ...platform };
      if (child.annotations && Object.keys(child.annotations).length) d.annotations = { ...child.annotations };
      return d;
    });
    const manifest: ImageIndexManifest = { schemaVersion: 2, mediaType, manifests };
    // A Docker manifest list gets them too, as ko writes them (see Image.create).
    if (options.annotations && Object.keys(options.annotations).length)
      manifest.annotations = { ...options.annotations };
    if (options.subject) manifest.subject = options.subject;
    return new ImageIndex(canonicalJsonBytes(manifest), manifest, children);
  }
}

/** Parses index bytes (from a registry or layout) without fetching any child. */
export function parseIndexManifest(raw: Uint8Array, what = 'index'): ImageIndexManifest {
  return parseJson(imageIndexSchema, raw, what);
}

/**
 * True for an `ImageIndex` (children in memory) from any copy of this package, and for nothing
 * else: a `LazyIndex` is not one (see `isLazyIndex`).
 */
export function isImageIndex(value: unknown): value is ImageIndex {
  return typeof value === 'object' && value !== null && (value as { [INDEX_BRAND]?: unknown })[INDEX_BRAND] === true;
}
