import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';
import { type ByteRange, ChunkPlan, storedBlocks } from './chunk-plan.js';
import { ChunkPool } from './chunk-pool.js';

export type { ByteRange } from './chunk-plan.js';

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

export interface GzipOptions {
  /** Chunks of this stream read ahead while the consumer waits (default: the pool's limit). */
  inFlight?: number;
  /**
   * Parts of the input already compressed (a Go binary's DWARF sections): written as deflate
   * stored blocks instead of deflated again, which saves the CPU and costs 5 bytes per 64 KiB.
   * The output still depends only on the input and these ranges.
   */
  stored?: readonly ByteRange[];
}

/**
 * pigz's technique on Node's zlib thread pool: raw deflate per fixed-size chunk, each ended
 * with a sync flush so the pieces concatenate (the last one finished), under one gzip header
 * and one trailer (CRC-32 and length of the whole input). The result is a single gzip member.
 * Chunks end at every multiple of GZIP_CHUNK_SIZE and at the edges of the stored ranges.
 * Streaming: at most `inFlight` chunks of this stream are read ahead, and at most
 * `chunks.limit` of all streams in the process deflate at once, so memory stays bounded when
 * many layers are built together and a slow consumer holds its producer back.
 *
 * A piece of `source` is copied before the next one is asked for, so a source may hand out
 * the same buffer again and again.
 */
export async function* parallelGzip(
  source: AsyncIterable<Buffer | Uint8Array>,
  options: GzipOptions = {},
): AsyncGenerator<Buffer> {
  const inFlight = options.inFlight ?? chunks.limit;
  const plan = new ChunkPlan(GZIP_CHUNK_SIZE, options.stored ?? []);
  yield HEADER;
  const pending: Promise<Buffer>[] = [];
  let crc = 0;
  let length = 0;
  let previous: { chunk: Buffer; held: number } | undefined;
  const dropPrevious = () => {
    if (previous) chunks.release(previous.chunk);
    previous = undefined;
  };
  const start = async (chunk: Buffer, held: number, stored: boolean, last: boolean) => {
    const input = chunk.subarray(0, held);
    crc = crc32(input, crc);
    length += held;
    if (stored) {
      // Copied out at once: no deflate holds it, and compressed bytes are no use as a dictionary.
      pending.push(Promise.resolve(storedBlocks(input, last)));
      chunks.release(chunk);
      dropPrevious();
      return;
    }
    await chunks.slot();
    chunks.retain(chunk);
    const deflated = deflateChunk(
      input,
      previous?.chunk.subarray(Math.max(0, previous.held - WINDOW), previous.held),
      last,
    );
    // zlib copied the dictionary when it made the stream: the chunk before is the stream's no
    // more (its own deflate may still hold it).
    dropPrevious();
    previous = { chunk, held };
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
  let next = plan.at(0);
  let ended = false;
  try {
    for await (const piece of source) {
      const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      let at = 0;
      while (at < buf.length) {
        const copied = buf.copy(current, held, at, Math.min(buf.length, at + next.length - held));
        held += copied;
        at += copied;
        if (held === next.length) {
          await start(current, held, next.stored, false);
          current = chunks.take();
          held = 0;
          next = plan.at(length);
          while (pending.length >= inFlight) yield await pending.shift()!;
        }
      }
    }
    // The final chunk (possibly empty) carries the end-of-stream block.
    await start(current, held, next.stored, true);
    ended = true;
    while (pending.length > 0) yield await pending.shift()!;
  } finally {
    // Done, stopped early or failed: hand back what the stream itself still holds.
    if (!ended) chunks.release(current);
    dropPrevious();
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}

function deflateChunk(chunk: Buffer, dictionary: Buffer | undefined, last: boolean): Promise<Buffer> {
  const options: ZlibOptions = {
    level: GZIP_LEVEL,
    chunkSize: OUTPUT_SIZE,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  };
  if (dictionary) options.dictionary = dictionary;
  return new Promise((resolve, reject) => deflateRaw(chunk, options, (err, out) => (err ? reject(err) : resolve(out))));
}
