import { type LayerTarEntry, tarChunks, tarContentOffsets } from '@tsko/registry';
import type { ByteRange } from './chunk-plan.js';
import { readBuffers } from './chunk-pool.js';
import { incompressibleRanges } from './compressed-sections.js';

/** One entry of one of ko's layers: owned by root, content from a file on disk. */
export type TarEntry =
  | { type: 'directory'; name: string; mode: number; mtime: Date }
  | {
      type: 'file';
      name: string;
      mode: number;
      mtime: Date;
      size: number;
      source: string;
      /** Extra PAX records with raw byte values, e.g. `SCHILY.xattr.security.capability`. */
      pax?: Readonly<Record<string, Uint8Array>>;
    };

/**
 * The tar of `entries`, in order, owned by root, written by @tsko/registry's one tar writer
 * (byte for byte what Go's archive/tar writes, so diffIDs equal ko's). File contents come
 * through a pooled read buffer: each piece is valid until the next is asked for, which
 * suits the blob store (it hashes and copies each piece at once).
 */
export async function* tarPieces(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  const readBuffer = readBuffers.take();
  try {
    yield* tarChunks(entries.map(layerEntry), { readBuffer });
  } finally {
    readBuffers.release(readBuffer);
  }
}

/** Where each entry's content starts in the tar `tarPieces(entries)` writes. */
export function tarEntryOffsets(entries: readonly TarEntry[]): number[] {
  return tarContentOffsets(entries.map(layerEntry));
}

/**
 * Where the files of `entries` already compressed sit in the tar `tarPieces(entries)` writes
 * (see incompressibleRanges): the ranges the gzip stores as they are. One file at a time: only
 * files of 64 KiB or more are opened, and a kodata tree may be large.
 */
export async function storedRanges(entries: readonly TarEntry[]): Promise<ByteRange[]> {
  const offsets = tarEntryOffsets(entries);
  const stored: ByteRange[] = [];
  for (const [i, e] of entries.entries()) {
    if (e.type !== 'file') continue;
    for (const r of await incompressibleRanges(e.source, e.size)) {
      stored.push({ start: offsets[i]! + r.start, end: offsets[i]! + Math.min(r.end, e.size) });
    }
  }
  return stored;
}

function layerEntry(e: TarEntry): LayerTarEntry {
  return e.type === 'directory'
    ? { ...e, uid: 0, gid: 0 }
    : {
        type: 'file',
        name: e.name,
        mode: e.mode,
        mtime: e.mtime,
        uid: 0,
        gid: 0,
        size: e.size,
        content: { path: e.source },
        ...(e.pax ? { pax: e.pax } : {}),
      };
}
