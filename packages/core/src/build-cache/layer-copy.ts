import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isTskoError, type Digest, type Layer } from '@tsko/registry';
import type { BlobStore } from '../layers/blob-store.js';
import { lazyRequire } from '../lazy-require.js';

// tar-stream loads with the first copy, not at import (see lazy-require.ts).
const tarStream = lazyRequire<typeof import('tar-stream')>('tar-stream');

/** A shared build's binary layer on this machine: the blob in the local store, and the program it holds. */
export interface LocalCopy {
  /** The layer read from the store; it keeps the cache as its source, so a push can still mount it. */
  layer: Layer;
  binaryPath: string;
}

/**
 * Copies a binary layer from the shared cache into the local blob store and takes its one
 * program out into `binaryDir`, checking the blob's digest and size and the tar's diffId on
 * the way. Returns why not when any of it does not match or the download fails; nothing is
 * left behind then, so a local record never names a blob or binary that is not what the
 * shared record says.
 */
export async function copyBinaryLayer(
  layer: Layer,
  diffId: Digest,
  appName: string,
  store: BlobStore,
  binaryDir: string,
  signal?: AbortSignal,
): Promise<LocalCopy | { failed: string }> {
  const blobPath = store.blobPath(layer.digest);
  const suffix = `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const blobTmp = `${blobPath}${suffix}`;
  const binaryPath = join(binaryDir, appName);
  const binaryTmp = `${binaryPath}${suffix}`;
  try {
    await mkdir(dirname(blobPath), { recursive: true });
    await mkdir(binaryDir, { recursive: true });
    const gz = hashing();
    await pipeline(await layer.open(signal), gz.tap, createWriteStream(blobTmp), { signal });
    if (gz.digest() !== layer.digest || gz.size() !== layer.size) return { failed: 'the blob is not the one named' };
    const tar = hashing();
    const files = await extractProgram(blobTmp, tar.tap, binaryTmp);
    if (tar.digest() !== diffId) return { failed: 'the layer is not the one its record names (diffId)' };
    if (files.length !== 1 || !inImage(files[0]!, appName)) {
      return { failed: `the layer holds ${files.length} files, not the program /ko-app/${appName}` };
    }
    await rename(blobTmp, blobPath);
    await rename(binaryTmp, binaryPath);
    const local = store.layer({ digest: layer.digest, diffId, size: layer.size }, layer.mediaType);
    return { layer: Object.freeze({ ...local, ...(layer.source ? { source: layer.source } : {}) }), binaryPath };
  } catch (err) {
    // An abort is the caller's decision, not a bad layer: it ends the call as everywhere.
    if (signal?.aborted) throw err;
    const reason = isTskoError(err) ? `${err.code}: ${err.message}` : 'the layer could not be read';
    return { failed: reason.slice(0, 500) };
  } finally {
    await rm(blobTmp, { force: true });
    await rm(binaryTmp, { force: true });
  }
}

/** The program in a binary layer, where binary-layer.ts puts it (Linux, or the Windows layout). */
function inImage(name: string, appName: string): boolean {
  const path = name.replace(/^\.?\//, '');
  return path === `ko-app/${appName}` || path === `Files/ko-app/${appName}`;
}

/**
 * Reads a gzipped layer (through `tap`, which sees the tar), writes its regular files' bytes to `to` (the last one wins: the caller
 * accepts exactly one) and returns every regular file's name. Anything else than folders and
 * regular files (links, devices) is refused: a binary layer holds none.
 */
async function extractProgram(blob: string, tap: Transform, to: string): Promise<string[]> {
  const extract = tarStream().extract();
  const files: string[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const { type, name } = entry.header;
      if (type === 'file') {
        files.push(name);
        await pipeline(entry, createWriteStream(to, { mode: 0o755 }));
      } else if (type === 'directory') {
        entry.resume();
      } else {
        throw new Error(`a ${type} entry`);
      }
    }
  })();
  await Promise.all([pipeline(createReadStream(blob), createGunzip(), tap, extract), done]);
  return files;
}

/** A pass-through that hashes and counts what flows through it. */
function hashing() {
  const h = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, next) {
      h.update(chunk);
      size += chunk.length;
      next(null, chunk);
    },
  });
  return { tap, digest: () => `sha256:${h.digest('hex')}` as Digest, size: () => size };
}
