import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';

/**
 * Input is cut into chunks of exactly this size (the last may be shorter) whatever the core
 * count, so the compressed bytes, and with them the layer digest, depend only on the input.
 * 1 MiB keeps the per-call cost of Node's zlib small; each chunk is primed with the 32 KiB
 * before it (as pigz does), so cutting costs almost nothing in ratio.
 */
export const GZIP_CHUNK_SIZE = 1 << 20;
/** go-containerregistry compresses layers with gzip.BestSpeed. */
export const GZIP_LEVEL = 1;
const WINDOW = 32 * 1024;
// Room for a whole chunk's output in one buffer (deflate's worst case adds ~5 bytes per 16 KiB):
// Node's async zlib returns to the main thread each time its output buffer fills, and with the
// default 16 KiB a 1 MiB chunk took ~30 round trips, which starved the pool when the main
// thread was busy.
const OUTPUT_SIZE = GZIP_CHUNK_SIZE + 64 * 1024;

// A fixed gzip header (RFC 1952): deflate, no flags, mtime 0, XFL 4 (fastest), OS 3 (Unix),
// written here rather than by zlib so it is the same on every platform Node runs on.
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);

/**
 * pigz's technique on Node's zlib thread pool: raw deflate per fixed-size chunk, each ended
 * with a sync flush so the pieces concatenate (the last one finished), under one gzip header
 * and one trailer (CRC-32 and length of the whole input). The result is a single gzip member.
 * Streaming: at most `inFlight` chunks are read ahead, so memory stays bounded and a slow
 * consumer holds the producer back.
 */
export async function* parallelGzip(
  source: AsyncIterable<Buffer | Uint8Array>,
  inFlight = defaultInFlight(),
): AsyncGenerator<Buffer> {
  yield HEADER;
  const pending: Promise<Buffer>[] = [];
  let crc = 0;
  let length = 0;
  let previous: Buffer | undefined;
  const start = (chunk: Buffer, last: boolean) => {
    crc = crc32(chunk, crc);
    length += chunk.length;
    const deflated = deflateChunk(chunk, previous, last);
    // If the consumer stops early, chunks still in flight settle unobserved: never let one
    // become an unhandled rejection (the awaited copy still throws to the consumer).
    deflated.catch(() => {});
    pending.push(deflated);
    previous = chunk;
  };
  // Pieces are copied straight into the chunk being filled: one copy per byte (the source may
  // reuse its buffers, and a chunk outlives this iteration), not a copy and then a concat.
  let current = Buffer.allocUnsafe(GZIP_CHUNK_SIZE);
  let held = 0;
  for await (const piece of source) {
    const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let at = 0;
    while (at < buf.length) {
      const copied = buf.copy(current, held, at, Math.min(buf.length, at + GZIP_CHUNK_SIZE - held));
      held += copied;
      at += copied;
      if (held === GZIP_CHUNK_SIZE) {
        start(current, false);
        current = Buffer.allocUnsafe(GZIP_CHUNK_SIZE);
        held = 0;
        while (pending.length >= inFlight) yield await pending.shift()!;
      }
    }
  }
  // The final chunk (possibly empty) carries the end-of-stream block.
  start(current.subarray(0, held), true);
  while (pending.length > 0) yield await pending.shift()!;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}

/**
 * Two chunks per libuv pool thread: every thread finds a queued chunk when it finishes one,
 * instead of idling until the main thread wakes to hand it the next (on a busy machine each
 * such wake-up costs milliseconds, and 1 MiB takes ~16 ms to deflate). File reads and writes
 * queue behind; the backlog keeps the pool busy meanwhile. Memory: ~2 MiB per chunk in flight,
 * capped at 32 chunks for large pools.
 */
function defaultInFlight(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.min(2 * pool, 32);
}

function deflateChunk(chunk: Buffer, previous: Buffer | undefined, last: boolean): Promise<Buffer> {
  const options: ZlibOptions = {
    level: GZIP_LEVEL,
    chunkSize: OUTPUT_SIZE,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  };
  if (previous) options.dictionary = previous.subarray(Math.max(0, previous.length - WINDOW));
  return new Promise((resolve, reject) => deflateRaw(chunk, options, (err, out) => (err ? reject(err) : resolve(out))));
}
