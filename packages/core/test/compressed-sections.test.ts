// Which parts of a Go binary the layer compressor stores as they are: the ELF sections Go's
// linker compressed. Real binaries from the real toolchain, for each ELF word size and byte
// order; each range found is checked independently: it must hold a compression header whose
// zlib stream inflates to the size the header gives.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { run } from '@tsko/test-rig';
import { binaryLayer, BlobStore } from '@tsko/core';
import { compressedSections, incompressibleRanges } from '../src/layers/compressed-sections.js';
import { GZIP_CHUNK_SIZE, parallelGzip } from '../src/layers/parallel-gzip.js';
import { FIXTURE, testEnvironment } from './helpers.js';

const ELFCOMPRESS_ZLIB = 1;

async function streamBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('compressed sections of Go binaries', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'tsko-sections-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  const build = async (goos: string, goarch: string, ldflags = '-X main.version=v9') => {
    const file = join(out, `server-${goos}-${goarch}-${ldflags.replace(/\W/g, '')}`);
    // The flags build-info.test.ts uses, so the Go cache serves both.
    const built = await run('go', ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', file, './cmd/server'], {
      cwd: FIXTURE,
      env: { ...testEnvironment(), GOOS: goos, GOARCH: goarch, CGO_ENABLED: '0' },
      timeoutMs: 600_000,
    });
    assert.equal(built.code, 0, built.stderr);
    return file;
  };

  for (const [goarch, wide, little] of [
    ['amd64', true, true],
    ['arm64', true, true],
    ['386', false, true],
    ['s390x', true, false],
  ] as const) {
    it(`linux/${goarch}: every range is a zlib-compressed section, and they hold the DWARF`, async () => {
      const file = await build('linux', goarch);
      const bytes = await readFile(file);
      const sections = await compressedSections(file);
      assert.ok(sections.length >= 5, `found ${sections.length} compressed sections`);
      let inflated = 0;
      for (const { start, end } of sections) {
        const read32 = (at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
        const read64 = (at: number) => Number(little ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at));
        assert.equal(read32(start), ELFCOMPRESS_ZLIB, `compression type at ${start}`);
        const size = wide ? read64(start + 8) : read32(start + 4);
        const data = inflateSync(bytes.subarray(start + (wide ? 24 : 12), end));
        assert.equal(data.length, size, `section at ${start} inflates to the size its header gives`);
        inflated += size;
      }
      // Together they are the bulk of the file, and what is stored is what was found.
      const stored = await incompressibleRanges(file);
      const storedBytes = stored.reduce((n, r) => n + r.end - r.start, 0);
      const sectionBytes = sections.reduce((n, r) => n + r.end - r.start, 0);
      assert.ok(sectionBytes > bytes.length / 10, `${sectionBytes} of ${bytes.length} bytes compressed`);
      assert.ok(inflated > sectionBytes, 'the sections hold compressed data');
      assert.ok(storedBytes >= sectionBytes - 64 * 1024 && storedBytes <= sectionBytes + 4096 * sections.length);
      for (const r of stored) {
        assert.ok(
          sections.some((s) => s.start === r.start),
          'a stored range starts where a section does',
        );
        assert.ok(
          sections.some((s) => s.end === r.end),
          'and ends where one does',
        );
      }
    });
  }

  it('a binary layer keeps those sections as they are, and is no larger for it', async () => {
    const file = await build('linux', 'amd64');
    const binary = await readFile(file);
    const store = new BlobStore(join(out, 'store'));
    const { layer } = await binaryLayer({ binaryPath: file, appName: 'server', store });
    const gz = await streamBytes(await layer.open());
    const tar = gunzipSync(gz);
    assert.equal(`sha256:${createHash('sha256').update(tar).digest('hex')}`, layer.diffId);
    assert.equal(`sha256:${createHash('sha256').update(gz).digest('hex')}`, layer.digest);
    const at = tar.indexOf(binary.subarray(0, 4096));
    assert.ok(at > 0 && tar.subarray(at, at + binary.length).equals(binary), 'the tar holds the binary');
    // A window of each stored range, inside one stored block (blocks restart at each MiB of the tar).
    const M = GZIP_CHUNK_SIZE;
    for (const r of await incompressibleRanges(file)) {
      const start = at + r.start;
      const from = Math.floor((start + 64) / M) === Math.floor(start / M) ? start : Math.ceil(start / M) * M;
      assert.ok(gz.indexOf(tar.subarray(from, from + 64)) > 0, `tar bytes ${from}.. stored as they are`);
    }
    const deflatedAll: Buffer[] = [];
    for await (const c of parallelGzip(
      (async function* () {
        yield tar;
      })(),
    ))
      deflatedAll.push(c);
    const plain = Buffer.concat(deflatedAll).length;
    assert.ok(gz.length <= plain, `${gz.length} bytes stored against ${plain} deflated`);
  });

  it('finds none where nothing is compressed: no DWARF, uncompressed DWARF, a PE, a non-ELF or truncated file', async () => {
    assert.deepEqual(await compressedSections(await build('linux', 'amd64', '-w')), []);
    assert.deepEqual(await compressedSections(await build('linux', 'amd64', '-compressdwarf=false')), []);
    assert.deepEqual(await compressedSections(await build('windows', 'amd64')), []);
    const text = join(out, 'not-elf');
    await writeFile(text, 'just text\n'.repeat(1000));
    assert.deepEqual(await compressedSections(text), []);
    const whole = await readFile(await build('linux', 'amd64'));
    const truncated = join(out, 'truncated');
    await writeFile(truncated, whole.subarray(0, 1 << 20));
    assert.deepEqual(await compressedSections(truncated), [], 'the section table lies past the end');
    const header = join(out, 'header-only');
    await writeFile(header, whole.subarray(0, 40));
    assert.deepEqual(await compressedSections(header), []);
  });
});
