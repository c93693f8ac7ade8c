import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier, isTskoError, type Layer } from '@tsko/registry';
import type { BlobStore } from '../layers/blob-store.js';

/** A shared build's binary layer on this machine, in the local blob store. */
interface LocalCopy {
  /** The layer read from the store; it keeps the cache as its source, so a push can still mount it. */
  layer: Layer;
  /** The blob's file in the store. */
  path: string;
}

/**
 * Copies a binary layer from the shared cache into the local blob store, checking its digest
 * and size on the way (not again when the store already holds it). Returns why not when they do not match or the download fails; nothing
 * is left behind then, so the store never holds under a digest bytes that are not that digest.
 * The diffId is the record's, as for the layer mounted from the cache (checking it would mean
 * inflating the layer on the one path meant to be fast).
 */
export async function copyLayer(
  layer: Layer,
  store: BlobStore,
  signal?: AbortSignal,
): Promise<LocalCopy | { failed: string }> {
  const path = store.blobPath(layer.digest);
  const local = () => {
    const kept = store.layer({ digest: layer.digest, diffId: layer.diffId, size: layer.size }, layer.mediaType);
    return { layer: Object.freeze({ ...kept, ...(layer.source ? { source: layer.source } : {}) }), path };
  };
  // Blobs enter the store only verified, under their digest: one of the right size is this one.
  if ((await stat(path).catch(() => undefined))?.size === layer.size) return local();
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    // The registry's own check: a blob whose bytes or size differ fails with TSKO_DIGEST_MISMATCH.
    const verifier = new DigestVerifier(layer.digest, layer.size, "The shared build cache's layer");
    await pipeline(await layer.open(signal), verifier, createWriteStream(tmp), signal ? { signal } : {});
    await rename(tmp, path);
    return local();
  } catch (err) {
    // An abort is the caller's decision, not a bad layer: it ends the call as everywhere.
    if (signal?.aborted) throw err;
    const reason = isTskoError(err) ? `${err.code}: ${err.message}` : 'the layer could not be read';
    return { failed: reason.slice(0, 500) };
  } finally {
    await rm(tmp, { force: true });
  }
}
