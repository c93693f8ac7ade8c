import { canonicalJsonBytes } from './canonical-json.js';
import { sha256, verifyBytes, type Digest } from './digest.js';
import { TskoError } from './errors.js';
import { layerDescriptor, type BlobSource, type Layer } from './layer.js';
import { isDockerMediaType, MediaType } from './media-types.js';
import type { Platform } from './platform.js';
import {
  imageConfigSchema,
  imageManifestSchema,
  parseJson,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from './schemas.js';

// A brand every copy of this package agrees on (Symbol.for), so `isImage` is exact across
// duplicates and a wrapper that merely says `kind: 'image'` is not taken for an image.
const IMAGE_BRAND = Symbol.for('@tsko/registry.Image');

/**
 * An immutable container image: manifest, config and an ordered list of lazy layers. Build one
 * with `Image.create` (we write the manifest) or `Image.fromManifest` (bytes we read, kept
 * exactly). "Changes" live in `mutate.ts` and return new images.
 */
export class Image {
  readonly kind = 'image' as const;
  readonly manifest: Readonly<ImageManifest>;
  readonly rawManifest: Buffer;
  readonly digest: Digest;
  readonly config: Readonly<ImageConfig>;
  readonly rawConfig: Buffer;
  readonly layers: readonly Layer[];
  /** Where this exact manifest and config already live (set for pulled, unmodified images). */
  readonly source?: BlobSource;

  private constructor(
    rawManifest: Buffer,
    manifest: ImageManifest,
    rawConfig: Buffer,
    config: ImageConfig,
    layers: readonly Layer[],
    digest: Digest,
    source?: BlobSource,
  ) {
    this.rawManifest = rawManifest;
    this.manifest = manifest;
    this.rawConfig = rawConfig;
    this.config = config;
    this.layers = Object.freeze([...layers]);
    this.digest = digest;
    if (source) this.source = source;
    Object.freeze(this);
  }

  get [IMAGE_BRAND](): true {
    return true;
  }

  /** The manifest's media type (OCI or Docker schema 2). */
  get mediaType(): string {
    return this.manifest.mediaType ?? MediaType.OCI_MANIFEST;
  }

  /** os/architecture/variant from the config. */
  get platform(): Platform {
    const p: Platform = { os: this.config.os, architecture: this.config.architecture };
    if (this.config.variant) p.variant = this.config.variant;
    if (this.config['os.version']) p['os.version'] = this.config['os.version'];
    return p;
  }

  /** A descriptor pointing at this image's manifest. */
  descriptor(): Descriptor {
    return { mediaType: this.mediaType, digest: this.digest, size: this.rawManifest.length };
  }

  /**
   * Creates an image whose manifest and config we serialise (canonical JSON, so equal inputs
   * give equal digests). Layer descriptors come from the layers; diff_ids are reconciled.
   */
  static create(parts: {
    config: ImageConfig;
    layers: readonly Layer[];
    mediaType?: string;
    annotations?: Record<string, string>;
    subject?: Descriptor;
  }): Image {
    const mediaType = parts.mediaType ?? MediaType.OCI_MANIFEST;
    const config: ImageConfig = {
      ...parts.config,
      rootfs: { type: 'layers', diff_ids: parts.layers.map((l) => l.diffId) },
    };
    const rawConfig = canonicalJsonBytes(config);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: isDockerMediaType(mediaType) ? MediaType.DOCKER_CONFIG : MediaType.OCI_CONFIG,
        digest: sha256(rawConfig),
        size: rawConfig.length,
      },
      layers: parts.layers.map(layerDescriptor),
    };
    if (parts.subject) manifest.subject = parts.subject;
    // Docker schema 2 manifests get annotations too, as go-containerregistry (and so ko) writes
    // them: registries and runtimes ignore the field there, and ko's base annotations live in it.
    if (parts.annotations && Object.keys(parts.annotations).length) manifest.annotations = { ...parts.annotations };
    const rawManifest = canonicalJsonBytes(manifest);
    return new Image(rawManifest, manifest, rawConfig, config, parts.layers, sha256(rawManifest));
  }

  /**
   * Wraps manifest and config bytes read from somewhere (a registry, a layout), verifying the
   * config against the manifest and keeping the manifest bytes exactly as read.
   */
  static fromManifest(
    rawManifest: Uint8Array,
    rawConfig: Uint8Array,
    makeLayer: (descriptor: Descriptor, diffId: Digest) => Layer,
    what = 'image',
    source?: BlobSource,
  ): Image {
    const manifestBytes = Buffer.from(rawManifest);
    const manifest = parseJson(imageManifestSchema, manifestBytes, `${what} manifest`);
    verifyBytes(rawConfig, manifest.config.digest, `${what} config`);
    const configBytes = Buffer.from(rawConfig);
    const config = parseJson(imageConfigSchema, configBytes, `${what} config`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new TskoError(
        'TSKO_INVALID_MANIFEST',
        `${what} lists ${manifest.layers.length} layers but its config has ${config.rootfs.diff_ids.length} diff_ids.`,
      );
    }
    const layers = manifest.layers.map((d, i) => makeLayer(d, config.rootfs.diff_ids[i]!)); // same length, checked above
    return new Image(manifestBytes, manifest, configBytes, config, layers, sha256(manifestBytes), source);
  }
}

/**
 * Parses image manifest bytes (from a registry, a layout, a tarball) against the schema. Use it
 * before reading any field: only then are the config and layer digests known to be safe to put
 * into a URL or a file path.
 */
export function parseImageManifest(raw: Uint8Array, what = 'image'): ImageManifest {
  return parseJson(imageManifestSchema, raw, `${what} manifest`);
}

/** True for an `Image` value from any copy of this package, and for nothing else. */
export function isImage(value: unknown): value is Image {
  return typeof value === 'object' && value !== null && (value as { [IMAGE_BRAND]?: unknown })[IMAGE_BRAND] === true;
}
