// kodata files in a compressed format are stored in the layer's gzip as they are; everything
// else is deflated. Checked on the layer's own bytes: a file stored by tsko starts a deflate
// stored block (header 00 ff ff 00 00) right at its first byte, which deflate never chooses.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BlobStore, kodataLayer } from '@tsko/core';

const STORED_BLOCK = Buffer.from([0x00, 0xff, 0xff, 0x00, 0x00]);

function text(size: number): Buffer {
  const words = ['kodata', 'static', 'asset', 'index', 'html', 'css', '\n'];
  let out = '';
  let x = 7;
  while (out.length < size) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += `${words[x % words.length]} `;
  }
  return Buffer.from(out.slice(0, size));
}

async function bytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('kodata layer: files already compressed', () => {
  it('stores .gz and .woff2 files of 64 KiB or more as they are, and deflates the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-kodata-stored-'));
    try {
      const kodata = join(dir, 'kodata');
      await mkdir(join(kodata, 'fonts'), { recursive: true });
      const files = {
        'big.json.gz': gzipSync(randomBytes(150_000).toString('hex'), { level: 9 }),
        'fonts/sans.woff2': Buffer.concat([Buffer.from('wOF2'), randomBytes(150_000)]),
        'small.gz': gzipSync(text(50_000)),
        'page.html': text(300_000),
        'noise.bin': randomBytes(200_000),
      };
      for (const [name, content] of Object.entries(files)) await writeFile(join(kodata, name), content);
      const layer = await kodataLayer({ kodataDir: kodata, store: new BlobStore(join(dir, 'store')) });
      const gz = await bytes(await layer.open());
      const tar = gunzipSync(gz);
      assert.equal(`sha256:${createHash('sha256').update(tar).digest('hex')}`, layer.diffId);
      for (const content of Object.values(files)) assert.ok(tar.indexOf(content) > 0, 'the tar holds every file');
      const storedAsIs = (content: Buffer) => gz.indexOf(Buffer.concat([STORED_BLOCK, content.subarray(0, 64)])) > 0;
      assert.ok(storedAsIs(files['big.json.gz']), 'big.json.gz stored');
      assert.ok(storedAsIs(files['fonts/sans.woff2']), 'sans.woff2 stored');
      assert.ok(!storedAsIs(files['small.gz']), 'small.gz is under 64 KiB: deflated with its neighbours');
      assert.ok(!storedAsIs(files['noise.bin']), 'noise.bin has no compressed-format magic: deflated');
      assert.ok(gz.indexOf(files['page.html'].subarray(0, 4096)) < 0, 'page.html deflated');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
