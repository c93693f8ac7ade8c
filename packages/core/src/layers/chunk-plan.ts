// How a gzip stream is cut into chunks, and the chunks kept as they are (stored blocks).

/** Bytes `start` (inclusive) to `end` (exclusive) of a stream. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Where chunks end: at each multiple of `size` and at each edge of a stored range. */
export class ChunkPlan {
  private readonly ranges: ByteRange[];
  private index = 0;

  constructor(
    private readonly size: number,
    stored: readonly ByteRange[],
  ) {
    // Clipped to the stream, sorted and merged, so the chunks do not depend on how the ranges
    // were listed.
    this.ranges = mergeRanges(stored.map((r) => ({ start: Math.max(0, r.start), end: r.end })));
  }

  /** The chunk starting at `offset` (offsets only grow): its greatest length, and its kind. */
  at(offset: number): { length: number; stored: boolean } {
    while (this.index < this.ranges.length && this.ranges[this.index]!.end <= offset) this.index++;
    const toBoundary = this.size - (offset % this.size);
    const range = this.ranges[this.index];
    if (!range) return { length: toBoundary, stored: false };
    if (range.start <= offset) return { length: Math.min(toBoundary, range.end - offset), stored: true };
    return { length: Math.min(toBoundary, range.start - offset), stored: false };
  }
}

/** `ranges` sorted, without empty ones, and merged where they overlap or lie within `gap` bytes. */
export function mergeRanges(ranges: readonly ByteRange[], gap = 0): ByteRange[] {
  const merged: ByteRange[] = [];
  for (const r of [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && r.start - last.end <= gap) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

const MAX_STORED_BLOCK = 0xffff;

/**
 * `data` as deflate stored blocks (RFC 1951 3.2.4). Every chunk before starts on a byte (a sync
 * flush ends byte-aligned), so each block header is one byte: BFINAL, then BTYPE 00 and padding.
 */
export function storedBlocks(data: Buffer, last: boolean): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED_BLOCK));
  const out = Buffer.allocUnsafe(data.length + 5 * blocks);
  let from = 0;
  let to = 0;
  for (let b = 0; b < blocks; b++) {
    const n = Math.min(MAX_STORED_BLOCK, data.length - from);
    out[to] = last && b === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(n, to + 1);
    out.writeUInt16LE(~n & 0xffff, to + 3);
    data.copy(out, to + 5, from, from + n);
    from += n;
    to += 5 + n;
  }
  return out;
}
