// kodata layer cases, many ported from ko's pkg/build/gobuild_test.go (TestWalkRecursive*,
// TestResolveKodataAllowedRoot*, TestWithinRoot, the kodata directory-header check), on real
// files, with the layer's tar read back.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarLayer } from '@tsko/test-rig';
import { BlobStore, isTskoError, kodataLayer } from '@tsko/core';
import { kodataAllowedRoot, withinRoot } from '../src/layers/kodata-tree.js';

let work: string;
let n = 0;
before(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'tsko-kodata-')));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh folder standing for a repository, with `cmd/app/kodata` inside. */
async function repo(opts: { git?: 'dir' | 'file' } = {}): Promise<{ root: string; kodata: string; store: BlobStore }> {
  const root = join(work, `repo-${++n}`);
  const kodata = join(root, 'cmd', 'app', 'kodata');
  await mkdir(kodata, { recursive: true });
  if (opts.git === 'dir') await mkdir(join(root, '.git'));
  if (opts.git === 'file') await writeFile(join(root, '.git'), 'gitdir: /elsewhere/.git/worktrees/x\n');
  return { root, kodata, store: new BlobStore(join(work, `store-${n}`)) };
}

const entriesOf = async (layer: Awaited<ReturnType<typeof kodataLayer>>) => readTarLayer(await layer.open());

describe('kodata for a Windows image, as ko writes it', () => {
  it('puts the tree under Files/var/run/ko after Hives and Files, marks files, and skips symlinks (even escaping ones)', async () => {
    const { kodata, store } = await repo();
    await writeFile(join(kodata, 'a.txt'), 'a');
    await mkdir(join(kodata, 'sub'));
    await writeFile(join(kodata, 'sub', 'b.txt'), 'b');
    await symlink(join(kodata, 'a.txt'), join(kodata, 'link.txt'));
    await symlink('/etc/passwd', join(kodata, 'escape'));
    const windows = { os: 'windows', architecture: 'amd64' };
    const entries = await entriesOf(await kodataLayer({ kodataDir: kodata, store, platform: windows }));
    const sid = { 'MSWINDOWS.rawsd': 'AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==' };
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.pax]),
      [
        ['Hives', 'directory', undefined],
        ['Files', 'directory', undefined],
        ['Files/var', 'directory', undefined],
        ['Files/var/run', 'directory', undefined],
        ['Files/var/run/ko', 'directory', undefined],
        ['Files/var/run/ko/a.txt', 'file', sid],
        ['Files/var/run/ko/sub', 'directory', undefined],
        ['Files/var/run/ko/sub/b.txt', 'file', sid],
      ],
    );
    // The same tree for Linux is a different layer (and the escaping link is refused there).
    await rm(join(kodata, 'escape'));
    const linux = await kodataLayer({ kodataDir: kodata, store });
    assert.ok((await entriesOf(linux)).some((e) => e.name === '/var/run/ko/link.txt'));
  });
});

describe('kodata symlinks, as ko bounds them', () => {
  it('refuses a symlink to a file outside the project (ko: TestWalkRecursiveSymlinkTraversal)', async () => {
    const { kodata, store } = await repo();
    const outside = join(work, `outside-${n}`);
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'supersecret');
    await symlink(join(outside, 'secret.txt'), join(kodata, 'escape'));
    await assert.rejects(
      kodataLayer({ kodataDir: kodata, store }),
      (err: unknown) =>
        isTskoError(err, 'TSKO_KODATA_ESCAPE') &&
        /outside the allowed root/.test(err.message) &&
        /escape/.test(err.message),
    );
  });

  it('follows a symlink to a file inside kodata (ko: TestWalkRecursiveSymlinkWithinKodata)', async () => {
    const { kodata, store } = await repo();
    await writeFile(join(kodata, 'target.txt'), 'hello');
    await symlink(join(kodata, 'target.txt'), join(kodata, 'link.txt'));
    const link = (await entriesOf(await kodataLayer({ kodataDir: kodata, store }))).find(
      (e) => e.name === '/var/run/ko/link.txt',
    );
    assert.equal(link?.type, 'file');
    assert.equal(link?.body, 'hello');
  });

  it('follows kodata/LICENSE -> ../../../LICENSE inside the git worktree (ko: TestWalkRecursiveSymlinkWithinAllowedRoot)', async () => {
    for (const git of ['dir', 'file'] as const) {
      const { root, kodata, store } = await repo({ git });
      await writeFile(join(root, 'LICENSE'), 'license');
      await symlink('../../../LICENSE', join(kodata, 'LICENSE'));
      const license = (await entriesOf(await kodataLayer({ kodataDir: kodata, store }))).find(
        (e) => e.name === '/var/run/ko/LICENSE',
      );
      assert.equal(license?.body, 'license', `.git as a ${git}`);
    }
  });

  it('follows a link into the project without git when KO_DATA_PATH_ALLOWED_ROOT names the project', async () => {
    const { root, kodata, store } = await repo();
    await writeFile(join(root, 'LICENSE'), 'license');
    await symlink(join(root, 'LICENSE'), join(kodata, 'LICENSE'));
    await assert.rejects(kodataLayer({ kodataDir: kodata, store }), (err: unknown) =>
      isTskoError(err, 'TSKO_KODATA_ESCAPE'),
    );
    const license = (await entriesOf(await kodataLayer({ kodataDir: kodata, store, allowedRoot: root }))).find(
      (e) => e.name === '/var/run/ko/LICENSE',
    );
    assert.equal(license?.body, 'license');
  });

  it('still refuses a link out of the git worktree', async () => {
    const { kodata, store } = await repo({ git: 'dir' });
    await writeFile(join(work, `host-${n}.txt`), 'host file');
    await symlink(join(work, `host-${n}.txt`), join(kodata, 'leak'));
    await assert.rejects(
      kodataLayer({ kodataDir: kodata, store }),
      (err: unknown) => isTskoError(err, 'TSKO_KODATA_ESCAPE') && err.message.includes('leak'),
    );
  });

  it('follows a symlinked folder elsewhere in the repository, with its directory entry', async () => {
    const { root, kodata, store } = await repo({ git: 'dir' });
    await mkdir(join(root, 'config', 'deep'), { recursive: true });
    await writeFile(join(root, 'config', 'deep', 'a.yaml'), 'a: 1\n');
    await symlink('../../../config', join(kodata, 'config'));
    const entries = await entriesOf(await kodataLayer({ kodataDir: kodata, store }));
    assert.deepEqual(
      entries.slice(3).map((e) => [e.name, e.type]),
      [
        ['/var/run/ko/config', 'directory'],
        ['/var/run/ko/config/deep', 'directory'],
        ['/var/run/ko/config/deep/a.yaml', 'file'],
      ],
    );
  });
});

describe('the allowed root (ko: TestResolveKodataAllowedRoot, TestResolveKodataAllowedRootGitWorktree)', () => {
  it('is the kodata folder without override or git, an ancestor override, and never a non-ancestor', async () => {
    const { root, kodata } = await repo();
    const unrelated = join(work, `unrelated-${n}`);
    await mkdir(unrelated);
    assert.equal(await kodataAllowedRoot(kodata), kodata);
    assert.equal(await kodataAllowedRoot(kodata, ''), kodata);
    assert.equal(await kodataAllowedRoot(kodata, root), root);
    assert.equal(await kodataAllowedRoot(kodata, unrelated), kodata);
  });
  it('is the enclosing git worktree, found by its .git entry', async () => {
    const { root, kodata } = await repo({ git: 'dir' });
    assert.equal(await kodataAllowedRoot(kodata), root);
  });
});

describe('withinRoot (ko: TestWithinRoot)', () => {
  const cases: [string, string, string, boolean][] = [
    ['equal', `${sep}a${sep}b`, `${sep}a${sep}b`, true],
    ['child', `${sep}a${sep}b${sep}c`, `${sep}a${sep}b`, true],
    ['sibling rejected', `${sep}a${sep}bc`, `${sep}a${sep}b`, false],
    ['escape rejected', `${sep}etc${sep}passwd`, `${sep}home${sep}user${sep}repo`, false],
    ['root with trailing sep does not double up', `${sep}etc${sep}passwd`, sep, true],
    ['parent rejected', `${sep}a`, `${sep}a${sep}b`, false],
  ];
  for (const [name, path, root, want] of cases) it(name, () => assert.equal(withinRoot(path, root), want));
});

describe('kodata directory entries and order', () => {
  it("writes a directory entry before each folder's contents, in Go's byte order, all 0555 (ko: check kodata directory headers)", async () => {
    const { kodata, store } = await repo();
    await mkdir(join(kodata, 'subdir', 'inner'), { recursive: true });
    await mkdir(join(kodata, 'empty'));
    await writeFile(join(kodata, 'subdir', 'file.txt'), 'f');
    await writeFile(join(kodata, 'subdir', 'inner', 'x'), 'x');
    await writeFile(join(kodata, 'Zed'), 'Z');
    await writeFile(join(kodata, 'subdir.txt'), 's');
    const entries = await entriesOf(
      await kodataLayer({ kodataDir: kodata, store, mtime: new Date(1_600_000_000_000) }),
    );
    assert.deepEqual(
      entries.map((e) => [e.name, e.type]),
      [
        ['/var', 'directory'],
        ['/var/run', 'directory'],
        ['/var/run/ko', 'directory'],
        ['/var/run/ko/Zed', 'file'],
        ['/var/run/ko/empty', 'directory'],
        ['/var/run/ko/subdir', 'directory'],
        ['/var/run/ko/subdir/file.txt', 'file'],
        ['/var/run/ko/subdir/inner', 'directory'],
        ['/var/run/ko/subdir/inner/x', 'file'],
        ['/var/run/ko/subdir.txt', 'file'],
      ],
    );
    assert.ok(entries.every((e) => e.mode === 0o555 && e.uid === 0 && e.gid === 0 && e.mtime === 1_600_000_000_000));
  });
});

describe('kodata layer cache', () => {
  it('reuses the blob for an unchanged tree and rebuilds when a file changes, even with its mtime put back', async () => {
    const { kodata, store } = await repo();
    await writeFile(join(kodata, 'a.txt'), 'first');
    const first = await kodataLayer({ kodataDir: kodata, store });
    const blobInode = (await stat(store.blobPath(first.digest))).ino;
    const again = await kodataLayer({ kodataDir: kodata, store });
    assert.equal(again.digest, first.digest);
    assert.equal((await stat(store.blobPath(first.digest))).ino, blobInode, 'the blob was not written again');
    const before = await stat(join(kodata, 'a.txt'));
    await writeFile(join(kodata, 'a.txt'), 'other');
    await utimes(join(kodata, 'a.txt'), before.atime, before.mtime);
    const changed = await kodataLayer({ kodataDir: kodata, store });
    assert.notEqual(changed.digest, first.digest);
    assert.equal((await entriesOf(changed)).find((e) => e.name === '/var/run/ko/a.txt')?.body, 'other');
    const otherDate = await kodataLayer({ kodataDir: kodata, store, mtime: new Date(1_000) });
    assert.notEqual(otherDate.digest, changed.digest, 'the entry mtime is part of the key');
  });
});
