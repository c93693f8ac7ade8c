import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Digest } from './digest.js';
import { MediaType } from './media-types.js';
import type { Descriptor } from './schemas.js';

/** Where a blob is known to exist already, so a push to the same registry can mount it. */
export interface BlobSource {
  readonly registry: string;
  readonly repository: string;
}

/**
 * A layer knows its identity up front and opens its (compressed) bytes only when asked.
 * Nothing here holds a whole layer in memory.
 */
export interface Layer {
  /** Digest of the compressed blob as stored in a registry. */
  readonly digest: Digest;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids entry). */
  readonly diffId: Digest;
  /** Size in bytes of the compressed blob. */
  readonly size: number;
  readonly mediaType: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Foreign-layer URLs (Windows bases); such layers are never pushed. */
  readonly urls?: readonly string[];
  /** A registry repository that already holds this blob, if known. */
  readonly source?: BlobSource;
  /** Opens the compressed bytes as a stream. Each call gives a new stream from the start. */
  open(signal?: AbortSignal): Promise<Readable>;
}

export interface LayerIdentity {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType?: string;
  annotations?: Record<string, string>;
  source?: BlobSource;
}

function identity(id: LayerIdentity): Omit<Layer, 'open'> {
  const layer: { -readonly [K in keyof Layer]?: Layer[K] } = {
    digest: id.digest,
    diffId: id.diffId,
    size: id.size,
    mediaType: id.mediaType ?? MediaType.OCI_LAYER_GZIP,
  };
  if (id.annotations) layer.annotations = Object.freeze({ ...id.annotations });
  if (id.source) layer.source = id.source;
  return layer as Omit<Layer, 'open'>;
}

/** A layer whose compressed bytes are a file on disk (a cache entry or a layout blob). */
export function fileLayer(path: string, id: LayerIdentity): Layer {
  return Object.freeze({ ...identity(id), open: async () => createReadStream(path) });
}

/** A small layer held in memory (tests, empty layers). Prefer `fileLayer` for real content. */
export function bufferLayer(compressed: Uint8Array, id: LayerIdentity): Layer {
  const bytes = Buffer.from(compressed);
  return Object.freeze({ ...identity(id), open: async () => Readable.from([bytes]) });
}

/** A layer whose bytes come from a function, e.g. a registry blob GET. */
export function streamLayer(
  id: LayerIdentity & { urls?: string[] },
  open: (signal?: AbortSignal) => Promise<Readable>,
): Layer {
  const base = identity(id) as Layer & { urls?: readonly string[] };
  if (id.urls?.length) base.urls = Object.freeze([...id.urls]);
  return Object.freeze({ ...base, open });
}

/** A copy of `layer` with a different media type (same bytes), e.g. to follow an OCI base. */
export function withLayerMediaType(layer: Layer, mediaType: string): Layer {
  if (layer.mediaType === mediaType) return layer;
  return Object.freeze({ ...layer, mediaType, open: (s?: AbortSignal) => layer.open(s) });
}

/** The manifest descriptor for a layer. */
export function layerDescriptor(layer: Layer): Descriptor {
  const d: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  if (layer.urls?.length) d.urls = [...layer.urls];
  if (layer.annotations) d.annotations = { ...layer.annotations };
  return d;
}

/** True if a layer is foreign (non-distributable): it is referenced, never pushed. */
export function isForeignLayer(layer: Layer): boolean {
  return layer.mediaType === MediaType.DOCKER_FOREIGN_LAYER || (layer.urls?.length ?? 0) > 0;
}
