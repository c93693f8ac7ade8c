import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier, verifyBytes, type Digest } from '../digest.js';
import { guarded } from '../error-wrapping.js';
import { TskoError } from '../errors.js';
import type { Image } from '../image.js';
import { imageFromManifest, type BlobFetcher } from '../image-from-manifest.js';
import { parseIndexManifest } from '../image-index.js';
import { lazyIndex, type LazyIndex } from '../lazy-index.js';
import { isIndexMediaType } from '../media-types.js';
import type { ImageIndexManifest } from '../schemas.js';
import { blobPath, REF_NAME } from './layout-files.js';

/**
 * Reads an entry of an OCI layout: the one named `tag`, or the only entry when no tag is
 * given. An image comes back as an `Image`, an index as a `LazyIndex` whose children load
 * from `blobs/` when asked. Manifests and configs are verified on read; layers as they stream.
 */
export function readOciLayout(root: string, tag?: string): Promise<Image | LazyIndex> {
  return guarded(`Reading OCI layout ${root}`, () => readLayout(root, tag));
}

async function readLayout(root: string, tag: string | undefined): Promise<Image | LazyIndex> {
  let index: ImageIndexManifest;
  try {
    index = parseIndexManifest(await readFile(join(root, 'index.json')), `${root}/index.json`);
  } catch (cause) {
    throw new TskoError('TSKO_NOT_FOUND', `${root} is not an OCI image layout (no readable index.json).`, {
      cause,
      details: { path: root },
    });
  }
  const candidates = tag ? index.manifests.filter((d) => d.annotations?.[REF_NAME] === tag) : index.manifests;
  if (candidates.length !== 1) {
    const names = index.manifests.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ');
    throw new TskoError(
      'TSKO_NOT_FOUND',
      tag
        ? `OCI layout ${root} has no entry named "${tag}" (it has: ${names || 'nothing'}).`
        : `OCI layout ${root} has ${index.manifests.length} entries (${names}); name one with oci-layout://${root}:<tag>.`,
      { details: { path: root } },
    );
  }
  const descriptor = candidates[0]!;
  const digest = descriptor.digest;
  const raw = await readBlob(root, digest);
  const blobs = layoutBlobs(root);
  const what = `Image in ${root}`;
  if (isIndexMediaType(descriptor.mediaType)) {
    return lazyIndex(raw, {
      name: tag ? `${root}:${tag}` : root,
      digest,
      mediaType: descriptor.mediaType,
      loadImage: async (child) => imageFromManifest(await readBlob(root, child.digest), blobs, what),
    });
  }
  return imageFromManifest(raw, blobs, what);
}

/** A small blob of the layout, verified against its name. */
async function readBlob(root: string, digest: Digest): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(root, digest));
  } catch (cause) {
    throw new TskoError('TSKO_NOT_FOUND', `OCI layout ${root} is missing blob ${digest}.`, { cause });
  }
  verifyBytes(bytes, digest, `Blob ${digest} in ${root}`);
  return bytes;
}

function layoutBlobs(root: string): BlobFetcher {
  return {
    readBlob: (digest) => readBlob(root, digest),
    openLayer: async (d) => {
      const verifier = new DigestVerifier(d.digest, d.size, `Blob ${d.digest} in ${root}`);
      pipeline(createReadStream(blobPath(root, d.digest)), verifier).catch(() => undefined);
      return verifier;
    },
  };
}
