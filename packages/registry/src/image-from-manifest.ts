import type { Readable } from 'node:stream';
import type { Digest } from './digest.js';
import { Image, parseImageManifest } from './image.js';
import { streamLayer, type BlobSource, type LayerIdentity } from './layer.js';
import type { Descriptor } from './schemas.js';

/**
 * Where the blobs an image manifest names are read from: a registry repository, a layout's
 * `blobs/` folder, a tarball. Only digests that passed the manifest schema reach it, so a
 * fetcher may put them into a URL or a file path.
 */
export interface BlobFetcher {
  /** The bytes of a small blob (the config); `imageFromManifest` verifies them against the digest. */
  readBlob(digest: Digest): Promise<Uint8Array>;
  /** Opens a layer's compressed bytes; the stream must be verified against `descriptor` (digest, size). */
  openLayer(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /** The registry repository that holds these blobs, so a push there can mount instead of upload. */
  readonly source?: BlobSource;
}

/**
 * The one way bytes become an `Image` (go-containerregistry's `partial`): the manifest is
 * validated against the schema before any field is used (a config digest `sha256:../../x`
 * never reaches a fetcher), then the config is fetched and verified, and layers stay lazy.
 * The manifest bytes are kept exactly, so the image keeps the digest it was read under.
 */
export async function imageFromManifest(raw: Uint8Array, blobs: BlobFetcher, what = 'image'): Promise<Image> {
  const manifest = parseImageManifest(raw, what);
  const rawConfig = await blobs.readBlob(manifest.config.digest);
  return Image.fromManifest(
    raw,
    rawConfig,
    (d, diffId) => {
      const id: LayerIdentity & { urls?: string[] } = {
        digest: d.digest,
        diffId,
        size: d.size,
        mediaType: d.mediaType,
      };
      if (blobs.source) id.source = blobs.source;
      if (d.annotations) id.annotations = d.annotations;
      if (d.urls) id.urls = d.urls;
      return streamLayer(id, (signal) => blobs.openLayer(d, signal));
    },
    what,
    blobs.source,
  );
}
