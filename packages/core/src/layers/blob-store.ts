import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileLayer, TAR_WRITER_VERSION, type Digest, type Layer } from '@tsko/registry';
import { type ByteRange, GZIP_CHUNK_SIZE, GZIP_LEVEL, parallelGzip } from './parallel-gzip.js';

/**
 * Names the key index after the tar writer and the compression that made its blobs: a change
 * of tar bytes, level, chunking or header changes every layer digest, and a key recorded by
 * the old writer must not hand back a blob the new one would not make (keys/ held level-6
 * single-thread gzip).
 */
const KEY_DIR = `keys-tar${TAR_WRITER_VERSION}-gzip${GZIP_LEVEL}-chunk${GZIP_CHUNK_SIZE}`;

/** Identity of a gzipped layer blob. */
export interface LayerBlob {
  digest: Digest;
  diffId: Digest;
  size: number;
}

/**
 * A content-addressed folder of layer blobs (`blobs/sha256/<hex>`) plus a key index, so a
 * layer whose inputs are unchanged is neither re-tarred nor re-gzipped. Keys are content
 * hashes, not paths or mtimes, so a CI machine with a restored cache hits too (unlike
 * KOCACHE, ko#1497). The folder can be deleted at any time.
 */
export interface TarGzOptions {
  /**
   * Parts of the tar already compressed, in bytes from its start (a Go binary's DWARF
   * sections): kept as they are in the gzip rather than deflated again.
   */
  stored?: readonly ByteRange[];
}

export class BlobStore {
  constructor(readonly root: string) {}

  /** `cacheDir` option, else $XDG_CACHE_HOME/tsko, else ~/.cache/tsko. */
  static defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
    if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'tsko');
    const home = env.HOME ?? homedir();
    return home ? join(home, '.cache', 'tsko') : join(tmpdir(), 'tsko-cache');
  }

  blobPath(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  layer(blob: LayerBlob, mediaType: string): Layer {
    return fileLayer(this.blobPath(blob.digest), { ...blob, mediaType });
  }

  /** The blob recorded under `key`, if it is still on disk. */
  async lookup(key: string): Promise<LayerBlob | undefined> {
    try {
      const blob = JSON.parse(await readFile(join(this.root, KEY_DIR, key), 'utf8')) as LayerBlob;
      const s = await stat(this.blobPath(blob.digest));
      return s.size === blob.size ? blob : undefined;
    } catch {
      return undefined;
    }
  }

  async remember(key: string, blob: LayerBlob): Promise<void> {
    await mkdir(join(this.root, KEY_DIR), { recursive: true });
    const tmp = join(this.root, KEY_DIR, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    await writeFile(tmp, JSON.stringify(blob));
    await rename(tmp, join(this.root, KEY_DIR, key));
  }

  /**
   * The content hash recorded for a file whose identity and stat (`stamp`: path, dev, inode,
   * size, mtime, ctime) are unchanged, so an unchanged binary is not read again on a no-op.
   */
  async recallHash(stamp: string): Promise<string | undefined> {
    try {
      const hash = await readFile(join(this.root, 'file-hashes', stampKey(stamp)), 'utf8');
      return /^[0-9a-f]{64}$/.test(hash) ? hash : undefined;
    } catch {
      return undefined;
    }
  }

  async rememberHash(stamp: string, hash: string): Promise<void> {
    const dir = join(this.root, 'file-hashes');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await writeFile(tmp, hash);
    await rename(tmp, join(dir, stampKey(stamp)));
  }

  /**
   * Streams an uncompressed tar through gzip into the store, hashing the tar (diffId) and the
   * gzip (digest) on the way: one pass, memory bounded by the compressor's read-ahead. Each
   * piece of `tar` is used before the next is asked for, so its source may reuse one buffer.
   */
  async writeTarGz(tar: AsyncIterable<Buffer>, options: TarGzOptions = {}): Promise<LayerBlob> {
    const dir = join(this.root, 'blobs', 'sha256');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const diffHash = createHash('sha256');
    const digestHash = createHash('sha256');
    let size = 0;
    const file = await open(tmp, 'w');
    try {
      try {
        // Fixed level, chunking and header: same input, same bytes, on any core count.
        for await (const piece of parallelGzip(hashed(tar, diffHash), options)) {
          digestHash.update(piece);
          size += piece.length;
          await file.write(piece);
        }
      } finally {
        await file.close();
      }
      const blob: LayerBlob = {
        digest: `sha256:${digestHash.digest('hex')}`,
        diffId: `sha256:${diffHash.digest('hex')}`,
        size,
      };
      await rename(tmp, this.blobPath(blob.digest));
      return blob;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

async function* hashed(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const piece of source) {
    hash.update(piece);
    yield piece;
  }
}

function stampKey(stamp: string): string {
  return createHash('sha256').update(stamp).digest('hex');
}
