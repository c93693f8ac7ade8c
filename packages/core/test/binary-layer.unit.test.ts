import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarLayer } from '@tsko/test-rig';
import { binaryLayer, BlobStore } from '@tsko/core';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'tsko-binlayer-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('binary layer no-op path', () => {
  it('remembers the binary hash by (inode, size, mtime, ctime) and rehashes after any write', async () => {
    const bin = join(work, 'app');
    await writeFile(bin, 'binary version one');
    const store = new BlobStore(join(work, 'store'));
    const first = await binaryLayer({ binaryPath: bin, appName: 'app', store });
    assert.equal(first.cached, false);
    const again = await binaryLayer({ binaryPath: bin, appName: 'app', store });
    assert.deepEqual([again.cached, again.layer.digest], [true, first.layer.digest]);

    // The remembered hash is what the second call used: replace it with another valid hash and
    // the layer key no longer matches (a re-read of the file would have matched).
    const memoDir = join(store.root, 'file-hashes');
    const [memo] = await readdir(memoDir);
    await writeFile(join(memoDir, memo!), 'f'.repeat(64));
    assert.equal((await binaryLayer({ binaryPath: bin, appName: 'app', store })).cached, false);

    // Same size, mtime put back: ctime still moves, so the new content is hashed and shipped.
    const before = await stat(bin);
    await writeFile(bin, 'binary version two');
    await utimes(bin, before.atime, before.mtime);
    const changed = await binaryLayer({ binaryPath: bin, appName: 'app', store });
    assert.equal(changed.cached, false);
    assert.notEqual(changed.layer.digest, first.layer.digest);
    const entries = await readTarLayer(await changed.layer.open());
    assert.equal(entries.find((e) => e.name === '/ko-app/app')?.body, 'binary version two');
  });
});
