import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { type ByteRange, GZIP_CHUNK_SIZE, parallelGzip } from '../src/layers/parallel-gzip.js';

// Compressible, deterministic bytes: words from a small vocabulary chosen by a xorshift
// generator, so deflate finds matches, including across chunk boundaries.
function pseudoText(size: number, seed = 0x9e3779b9): Buffer {
  const words = ['ko', 'layer', 'gzip', 'digest', 'registry', 'manifest', 'tsko', 'build', '\n', 'go', 'image', 'blob'];
  const out = Buffer.alloc(size);
  let x = seed >>> 0;
  let at = 0;
  while (at < size) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    at += out.write(`${words[x % words.length]} `, at);
  }
  return out;
}

/** Feeds `input` to parallelGzip in pieces of `piece` bytes and collects the result. */
async function gzipOf(input: Buffer, piece: number, inFlight?: number, stored?: ByteRange[]): Promise<Buffer> {
  async function* pieces() {
    for (let at = 0; at < input.length; at += piece) yield input.subarray(at, at + piece);
  }
  const out: Buffer[] = [];
  for await (const c of parallelGzip(pieces(), { ...(inFlight ? { inFlight } : {}), ...(stored ? { stored } : {}) }))
    out.push(c);
  return Buffer.concat(out);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('parallel gzip (pigz-style, fixed chunks)', () => {
  const sizes = [0, 1, GZIP_CHUNK_SIZE - 1, GZIP_CHUNK_SIZE, GZIP_CHUNK_SIZE + 1, Math.floor(3.5 * GZIP_CHUNK_SIZE)];
  for (const size of sizes) {
    it(`round-trips ${size} bytes as one gzip member with the whole input's CRC-32 and length`, async () => {
      const input = pseudoText(size);
      const gz = await gzipOf(input, 64 * 1024);
      assert.deepEqual(
        gz.subarray(0, 10),
        Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]),
        'fixed header: no name, mtime 0',
      );
      assert.ok(gunzipSync(gz).equals(input), 'gunzips to the input');
      // One member: the body between header and trailer is a single raw deflate stream.
      assert.ok(inflateRawSync(gz.subarray(10, gz.length - 8)).equals(input), 'one deflate stream');
      assert.equal(gz.readUInt32LE(gz.length - 8), crc32(input));
      assert.equal(gz.readUInt32LE(gz.length - 4), size);
    });
  }

  it('makes the same bytes whatever the input pieces and the number of chunks in flight', async () => {
    const input = pseudoText(Math.floor(2.7 * GZIP_CHUNK_SIZE));
    const reference = await gzipOf(input, 64 * 1024);
    for (const [piece, inFlight] of [
      [1000, 1],
      [GZIP_CHUNK_SIZE, 2],
      [3 * GZIP_CHUNK_SIZE, 16],
      [777_777, 3],
    ] as const) {
      assert.equal(
        sha(await gzipOf(input, piece, inFlight)),
        sha(reference),
        `pieces of ${piece}, ${inFlight} in flight`,
      );
    }
  });

  it('keeps its bytes across Node versions (digest checked on Node 20.20 and 22.23)', async () => {
    // Layer digests must not move when users upgrade Node. This digest was produced by both
    // Node 20.20.2 and Node 22.23.3 (zlib 1.3.1); a Node whose zlib deflates differently fails here.
    const gz = await gzipOf(pseudoText(Math.floor(2.5 * GZIP_CHUNK_SIZE)), 64 * 1024);
    assert.equal(sha(gz), GOLDEN);
  });

  it('is accepted by the system gzip (gzip -t, gunzip)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-pgz-'));
    try {
      const input = pseudoText(2 * GZIP_CHUNK_SIZE + 12345);
      const file = join(dir, 'x.gz');
      await writeFile(file, await gzipOf(input, 100_000));
      const test = spawnSync('gzip', ['-t', file]);
      assert.equal(test.status, 0, test.stderr.toString());
      const out = spawnSync('gzip', ['-dc', file], { maxBuffer: 1 << 26 });
      assert.equal(out.status, 0, out.stderr.toString());
      assert.ok(out.stdout.equals(input));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads ahead a bounded number of chunks when its consumer waits', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        const piece = pseudoText(256 * 1024, 7 + pulled);
        pulled += piece.length;
        yield piece;
      }
    }
    const gz = parallelGzip(endless(), { inFlight: 2 });
    await gz.next(); // header
    await gz.next(); // first compressed chunk
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(pulled <= 4 * GZIP_CHUNK_SIZE, `read ${pulled} bytes ahead of a paused consumer`);
    await gz.return(undefined);
  });

  it('makes the same bytes when many streams share the chunk pool at once, some stopped early', async () => {
    // Chunk buffers go back to a process-wide pool: a buffer handed out again while a deflate
    // or the next chunk's dictionary still read it would change these bytes.
    const inputs = Array.from({ length: 12 }, (_, i) =>
      pseudoText(Math.floor((1.5 + i / 4) * GZIP_CHUNK_SIZE), 11 + i),
    );
    const alone: string[] = [];
    for (const input of inputs) alone.push(sha(await gzipOf(input, 300_000)));
    const abandoned = inputs.map(async (input) => {
      const gz = parallelGzip(
        (async function* () {
          yield input;
        })(),
        { inFlight: 2 },
      );
      await gz.next();
      await gz.next();
      await gz.return(undefined);
    });
    const together = await Promise.all(inputs.map(async (input) => sha(await gzipOf(input, 300_000))));
    await Promise.all(abandoned);
    assert.deepEqual(together, alone);
    const after = await Promise.all(inputs.map(async (input) => sha(await gzipOf(input, 1 << 20))));
    assert.deepEqual(after, alone, 'the pool still hands out sound buffers after streams stopped early');
  });

  it('copies each piece before asking for the next, so a source may reuse one buffer', async () => {
    const input = pseudoText(Math.floor(2.3 * GZIP_CHUNK_SIZE), 99);
    const reused = Buffer.alloc(200_000);
    async function* oneBuffer() {
      for (let at = 0; at < input.length; at += reused.length) {
        const n = input.copy(reused, 0, at, at + reused.length);
        yield reused.subarray(0, n);
        reused.fill(0xee); // what a reader reusing its buffer would do next
      }
    }
    const out: Buffer[] = [];
    for await (const c of parallelGzip(oneBuffer())) out.push(c);
    assert.ok(gunzipSync(Buffer.concat(out)).equals(input));
  });

  describe('stored ranges (parts already compressed)', () => {
    const M = GZIP_CHUNK_SIZE;
    const layouts: [string, ByteRange[]][] = [
      ['inside one chunk', [{ start: 100_000, end: 400_000 }]],
      ['across chunk boundaries', [{ start: M / 2 + 100, end: 2 * M + 777 }]],
      ['at the start', [{ start: 0, end: 70_000 }]],
      ['running past the end', [{ start: 3 * M + 5, end: 10 * M }]],
      [
        'several, one a single byte',
        [
          { start: 10, end: 11 },
          { start: M - 1, end: M + 200_000 },
          { start: 3 * M, end: 3 * M + 65_535 * 2 + 1 },
        ],
      ],
    ];
    for (const [name, stored] of layouts) {
      it(`round-trips with a range ${name}, and those bytes appear as they are`, async () => {
        const input = pseudoText(Math.floor(3.5 * M), 5);
        const gz = await gzipOf(input, 300_000, undefined, stored);
        assert.ok(gunzipSync(gz).equals(input), 'gunzips to the input');
        assert.ok(inflateRawSync(gz.subarray(10, gz.length - 8)).equals(input), 'one deflate stream');
        assert.equal(gz.readUInt32LE(gz.length - 8), crc32(input));
        assert.equal(gz.readUInt32LE(gz.length - 4), input.length);
        // The input compresses well, so a deflated run of 4 KiB would never appear verbatim.
        // A window is looked for within one stored block: from the range's start, or from the
        // first chunk boundary inside it.
        for (const r of stored) {
          const from = [r.start, Math.ceil((r.start + 1) / M) * M].find(
            (at) => Math.min(r.end, input.length, at + 4096, (Math.floor(at / M) + 1) * M) - at >= 64,
          );
          if (from === undefined) continue;
          const end = Math.min(r.end, input.length, from + 4096, (Math.floor(from / M) + 1) * M);
          assert.ok(gz.indexOf(input.subarray(from, end)) > 0, `bytes ${from}-${end} stored`);
        }
      });
    }

    it('makes the same bytes whatever the pieces, the read-ahead and the order the ranges come in', async () => {
      const input = pseudoText(Math.floor(2.6 * M), 8);
      const ranges = [
        { start: 900_000, end: 1_500_000 },
        { start: 1_400_000, end: 1_700_000 },
        { start: 2_000_000, end: 2_100_000 },
      ];
      const reference = sha(await gzipOf(input, 64 * 1024, undefined, ranges));
      assert.equal(sha(await gzipOf(input, 1000, 1, [...ranges].reverse())), reference);
      assert.equal(
        sha(await gzipOf(input, 3 * M, 16, [{ start: 900_000, end: 1_700_000 }, ranges[2]!])),
        reference,
        'overlapping ranges are merged',
      );
      assert.notEqual(sha(await gzipOf(input, 64 * 1024)), reference, 'ranges change the bytes');
      assert.equal(sha(await gzipOf(input, 64 * 1024, undefined, [])), sha(await gzipOf(input, 64 * 1024)));
    });

    it('stores incompressible bytes no larger than deflate makes them, and gzip -t accepts it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tsko-pgz-stored-'));
      try {
        const noise = randomBytes(M + 12_345);
        const input = Buffer.concat([pseudoText(M / 2, 3), noise, pseudoText(M, 4)]);
        const stored = [{ start: M / 2, end: M / 2 + noise.length }];
        const withRanges = await gzipOf(input, 200_000, undefined, stored);
        const without = await gzipOf(input, 200_000);
        assert.ok(withRanges.length <= without.length, `${withRanges.length} > ${without.length}`);
        const file = join(dir, 'x.gz');
        await writeFile(file, withRanges);
        const test = spawnSync('gzip', ['-t', file]);
        assert.equal(test.status, 0, test.stderr.toString());
        const out = spawnSync('gzip', ['-dc', file], { maxBuffer: 1 << 26 });
        assert.ok(out.stdout.equals(input));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

const GOLDEN = 'b9198028f5fbe45abd0cdb1fe93e21c27500b343beb61f9fc21b2b29fe04008a';
