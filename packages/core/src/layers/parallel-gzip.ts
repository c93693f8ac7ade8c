import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';
import { ChunkPool } from './chunk-pool.js';

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
// One output buffer holds a Go binary's chunk (level 1 leaves ~50%): Node's async zlib returns
// to the main thread each time its output buffer fills (with the default 16 KiB a 1 MiB chunk
// took ~30 round trips, which starved the pool when the main thread was busy). Not a whole
// chunk's worth: every output buffer counts as external memory, and V8 answers external
// memory with full collections. Incompressible chunks take a second round trip.
const OUTPUT_SIZE = 640 * 1024;

// A fixed gzip header (RFC 1952): deflate, no flags, mtime 0, XFL 4 (fastest), OS 3 (Unix),
// written here rather than by zlib so it is the same on every platform Node runs on.
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);

/**
 * Chunk buffers are reused rather than allocated per chunk: a 20-program publish cuts ~170 of
 * them, and fresh 1 MiB buffers made V8 run a full collection every few chunks.
 */
const chunks = new ChunkPool(GZIP_CHUNK_SIZE);

/**
 * pigz's technique on Node's zlib thread pool: raw deflate per fixed-size chunk, each ended
 * with a sync flush so the pieces concatenate (the last one finished), under one gzip header
 * and one trailer (CRC-32 and length of the whole input). The result is a single gzip member.
 * Streaming: at most `inFlight` chunks of this stream are read ahead, and at most
 * `chunks.limit` of all streams in the process deflate at once, so memory stays bounded when
 * many layers are built together and a slow consumer holds its producer back.
 *
 * A piece of `source` is copied before the next one is asked for, so a source may hand out
 * the same buffer again and again.
 */
export async function* parallelGzip(
  source: AsyncIterable<Buffer | Uint8Array>,
  inFlight = chunks.limit,
): AsyncGenerator<Buffer> {
  yield HEADER;
  const pending: Promise<Buffer>[] = [];
  let crc = 0;
  let length = 0;
  let previous: Buffer | undefined;
  const start = async (chunk: Buffer, held: number, last: boolean) => {
    const input = chunk.subarray(0, held);
    crc = crc32(input, crc);
    length += held;
    await chunks.slot();
    chunks.retain(chunk);
    const deflated = deflateChunk(input, previous, last);
    // zlib copied the dictionary when it made the stream: the chunk before is the stream's no
    // more (its own deflate may still hold it).
    if (previous) chunks.release(previous);
    previous = chunk;
    // If the consumer stops early, chunks still in flight settle unobserved: never let one
    // become an unhandled rejection (the awaited copy still throws to the consumer).
    deflated
      .catch(() => {})
      .finally(() => {
        chunks.done();
        chunks.release(chunk);
      });
    pending.push(deflated);
  };
  let current = chunks.take();
  let held = 0;
  let ended = false;
  try {
    for await (const piece of source) {
      const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      let at = 0;
      while (at < buf.length) {
        const copied = buf.copy(current, held, at, Math.min(buf.length, at + GZIP_CHUNK_SIZE - held));
        held += copied;
        at += copied;
        if (held === GZIP_CHUNK_SIZE) {
          await start(current, held, false);
          current = chunks.take();
          held = 0;
          while (pending.length >= inFlight) yield await pending.shift()!;
        }
      }
    }
    // The final chunk (possibly empty) carries the end-of-stream block.
    await start(current, held, true);
    ended = true;
    while (pending.length > 0) yield await pending.shift()!;
  } finally {
    // Done, stopped early or failed: hand back what the stream itself still holds.
    if (!ended) chunks.release(current);
    if (previous) chunks.release(previous);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}

function deflateChunk(chunk: Buffer, previous: Buffer | undefined, last: boolean): Promise<Buffer> {
  const options: ZlibOptions = {
    level: GZIP_LEVEL,
    chunkSize: OUTPUT_SIZE,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  };
  if (previous) options.dictionary = previous.subarray(GZIP_CHUNK_SIZE - WINDOW, GZIP_CHUNK_SIZE);
  return new Promise((resolve, reject) => deflateRaw(chunk, options, (err, out) => (err ? reject(err) : resolve(out))));
}
