import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type LayerTarEntry, tarChunks, tarContentOffsets } from '@tsko/registry';

const EPOCH = new Date(0);
const owner = { uid: 0, gid: 0, mtime: EPOCH };

describe('tarContentOffsets', () => {
  it("names where each file's bytes start in the tar, past USTAR, prefix-split and PAX headers", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-taroff-'));
    try {
      const onDisk = randomBytes(70_001);
      await writeFile(join(dir, 'big'), onDisk);
      const contents = [randomBytes(1), randomBytes(512), randomBytes(1000), onDisk, randomBytes(3)];
      const entries: LayerTarEntry[] = [
        { ...owner, type: 'directory', name: 'ko-app', mode: 0o555 },
        { ...owner, type: 'file', name: 'ko-app/one', mode: 0o555, size: 1, content: contents[0]! },
        { ...owner, type: 'symlink', name: 'ko-app/link', mode: 0o777, target: 'one' },
        // Over 100 bytes: USTAR prefix. Non-ASCII: a PAX header (three more blocks or so).
        { ...owner, type: 'file', name: `${'d/'.repeat(60)}block`, mode: 0o644, size: 512, content: contents[1]! },
        { ...owner, type: 'file', name: 'ko-app/ünïcode', mode: 0o644, size: 1000, content: contents[2]! },
        {
          ...owner,
          type: 'file',
          name: 'ko-app/app',
          mode: 0o555,
          size: onDisk.length,
          content: { path: join(dir, 'big') },
          pax: { 'SCHILY.xattr.security.capability': Buffer.from([1, 0, 0, 2, 0, 4, 0, 0]) },
        },
        { ...owner, type: 'file', name: 'last', mode: 0o644, size: 3, content: contents[4]! },
      ];
      const chunks: Buffer[] = [];
      for await (const c of tarChunks(entries)) chunks.push(Buffer.from(c));
      const tar = Buffer.concat(chunks);
      const offsets = tarContentOffsets(entries);
      assert.equal(offsets.length, entries.length);
      const files = entries.flatMap((e, i) => (e.type === 'file' ? [i] : []));
      files.forEach((i, n) => {
        const start = offsets[i]!;
        assert.equal(start % 512, 0, `entry ${i} starts on a block`);
        assert.ok(tar.subarray(start, start + contents[n]!.length).equals(contents[n]!), `content of entry ${i}`);
      });
      // A directory's "content" starts right after its one header block; the tar ends with the
      // last file's padded content and two zero blocks.
      assert.equal(offsets[0], 512);
      assert.equal(tar.length, offsets.at(-1)! + 512 + 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
