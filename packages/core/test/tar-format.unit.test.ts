import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { readTarLayer } from '@tsko/test-rig';
import { BlobStore, kodataLayer } from '@tsko/core';

/** The raw tar bytes of a layer. */
async function rawTar(layer: { open(): Promise<NodeJS.ReadableStream> }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await layer.open()) chunks.push(c as Buffer);
  return gunzipSync(Buffer.concat(chunks));
}

const field = (block: Buffer, offset: number, length: number) =>
  block.subarray(offset, offset + length).toString('latin1');

// test/ko-peer proves equal diffIDs with ko itself for ordinary names; these cases pin the
// header layout of Go's archive/tar (USTAR, NUL-terminated octal) and its long-name rules.
describe('layer tars are written the way Go archive/tar writes them', () => {
  it('numeric fields are zero-padded octal ending in NUL; the checksum is six digits, NUL, space', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-tarfmt-'));
    try {
      await mkdir(join(dir, 'kodata'));
      await writeFile(join(dir, 'kodata', 'a.txt'), 'hello');
      const tar = await rawTar(
        await kodataLayer({
          kodataDir: join(dir, 'kodata'),
          mtime: new Date(1_700_000_100_000),
          store: new BlobStore(join(dir, 'store')),
        }),
      );
      const file = tar.subarray(3 * 512, 4 * 512);
      assert.equal(field(file, 0, 17), '/var/run/ko/a.txt');
      assert.equal(field(file, 100, 8), '0000555\0');
      assert.equal(field(file, 108, 8), '0000000\0');
      assert.equal(field(file, 124, 12), '00000000005\0');
      assert.equal(field(file, 136, 12), `${(1_700_000_100).toString(8)}\0`);
      assert.match(field(file, 148, 8), /^[0-7]{6}\0 $/);
      assert.equal(field(file, 156, 1), '0');
      assert.equal(field(file, 257, 8), 'ustar\u000000');
      assert.equal(field(file, 329, 16), '0000000\u00000000000\0');
      const sum = [...file].reduce((n, b, i) => n + (i >= 148 && i < 156 ? 32 : b), 0);
      assert.equal(parseInt(field(file, 148, 6), 8), sum);
      assert.equal(tar.length, 4 * 512 + 512 + 1024, 'three folders, one file of one block, two zero blocks');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a path over 100 bytes goes into the USTAR prefix; a non-ASCII path gets a PAX record; both read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-tarfmt-'));
    try {
      const deep = 'd'.repeat(60);
      await mkdir(join(dir, 'kodata', deep), { recursive: true });
      await writeFile(join(dir, 'kodata', deep, `${'f'.repeat(50)}.txt`), 'long');
      await writeFile(join(dir, 'kodata', 'grüße.txt'), 'umlaut');
      const layer = await kodataLayer({ kodataDir: join(dir, 'kodata'), store: new BlobStore(join(dir, 'store')) });
      const tar = await rawTar(layer);
      const long = `/var/run/ko/${deep}/${'f'.repeat(50)}.txt`;
      const blocks = Array.from({ length: tar.length / 512 }, (_, i) => tar.subarray(i * 512, (i + 1) * 512));
      const prefixed = blocks.find((b) => field(b, 0, 54) === `${'f'.repeat(50)}.txt`);
      assert.ok(prefixed, 'the file name is in the name field');
      assert.equal(field(prefixed, 345, long.length - 55).replace(/\0+$/, ''), `/var/run/ko/${deep}`);
      assert.ok(
        blocks.some((b) => field(b, 156, 1) === 'x'),
        'a PAX header carries the non-ASCII path',
      );
      const names = (await readTarLayer(await layer.open())).map((e) => e.name);
      assert.deepEqual(names, [
        '/var',
        '/var/run',
        '/var/run/ko',
        `/var/run/ko/${deep}`,
        long,
        '/var/run/ko/grüße.txt',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
