import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendLayer, emptyImage, filesLayer, folderLayer, isTskoError, pushImage, type Layer } from '@tsko/registry';
import { readTarLayer, runOk, skopeoCopy, startRegistry, type TestRegistry } from '@tsko/test-rig';

describe('layers from files and folders, read back by skopeo + umoci', () => {
  let registry: TestRegistry;
  let work: string;
  const p = (...parts: string[]) => join(work, ...parts);
  const big = 3 * 1024 * 1024 + 7; // several read chunks, not a block multiple

  before(async () => {
    registry = await startRegistry('plain');
    work = await mkdtemp(join(tmpdir(), 'tsko-files-layer-'));
    await mkdir(p('site', 'static', 'css'), { recursive: true });
    await writeFile(p('site', 'index.html'), '<h1>hi</h1>\n');
    await writeFile(p('site', 'static', 'css', 'app.css'), 'body{}\n');
    await writeFile(p('site', 'run.sh'), '#!/bin/sh\necho run\n');
    await chmod(p('site', 'run.sh'), 0o750);
    await chmod(p('site', 'static'), 0o700);
    await symlink('index.html', p('site', 'home.html'));
    await writeFile(p('big.bin'), Buffer.alloc(big, 'x'));
  });
  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** Pushes scratch + layer, copies it with skopeo into an OCI layout and unpacks it with umoci (as root: owners kept). */
  async function unpack(layer: Layer, name: string): Promise<string> {
    const image = appendLayer(emptyImage({ os: 'linux', architecture: 'amd64' }), layer, {
      history: { created_by: 'files layer test' },
    });
    const ref = `${registry.host}/files/${name}:v1`;
    await pushImage(image, ref);
    const layout = p(`layout-${name}`);
    await skopeoCopy(`docker://${ref}`, `oci:${layout}:v1`, ['--src-tls-verify=false']);
    const bundle = p(`bundle-${name}`);
    await runOk('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
    return join(bundle, 'rootfs');
  }

  const owner = async (path: string) => {
    const s = await lstat(path);
    return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime.getTime() };
  };

  it('filesLayer: text, bytes and a streamed file, with modes, owners, mtimes and parent folders', async () => {
    const mtime = new Date('2024-05-06T07:08:09Z');
    const files = {
      '/etc/app/config.json': '{"a":1}\n',
      '/app/data.bin': { content: new Uint8Array([0, 1, 2, 255]), mode: 0o600, uid: 1000, gid: 2000 },
      '/app/big.bin': { content: { path: p('big.bin') }, mode: 0o755, uid: 65532, gid: 65532, mtime },
      '/app/link': { content: { symlink: 'big.bin' } },
    };
    const layer = await filesLayer(files, { mtime: new Date('2020-01-01T00:00:00Z') });
    const rootfs = await unpack(layer, 'map');
    assert.equal(await readFile(join(rootfs, 'etc/app/config.json'), 'utf8'), '{"a":1}\n');
    assert.deepEqual([...(await readFile(join(rootfs, 'app/data.bin')))], [0, 1, 2, 255]);
    assert.deepEqual(await readFile(join(rootfs, 'app/big.bin')), await readFile(p('big.bin')));
    assert.equal(await readlink(join(rootfs, 'app/link')), 'big.bin');
    assert.deepEqual(await owner(join(rootfs, 'etc/app/config.json')), {
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: Date.parse('2020-01-01T00:00:00Z'),
    });
    assert.deepEqual(await owner(join(rootfs, 'app/data.bin')), {
      mode: 0o600,
      uid: 1000,
      gid: 2000,
      mtime: Date.parse('2020-01-01T00:00:00Z'),
    });
    assert.deepEqual(await owner(join(rootfs, 'app/big.bin')), {
      mode: 0o755,
      uid: 65532,
      gid: 65532,
      mtime: mtime.getTime(),
    });
    for (const dir of ['etc', 'etc/app', 'app'])
      assert.deepEqual(
        await owner(join(rootfs, dir)),
        { mode: 0o755, uid: 0, gid: 0, mtime: Date.parse('2020-01-01T00:00:00Z') },
        dir,
      );

    // The tar itself lists the parents before their children, sorted.
    const entries = await readTarLayer(await layer.open());
    assert.deepEqual(
      entries.map((e) => e.name),
      ['app/', 'app/big.bin', 'app/data.bin', 'app/link', 'etc/', 'etc/app/', 'etc/app/config.json'],
    );
  });

  it('filesLayer is deterministic: the same files in another order, built again, give the same digest; a changed mode does not', async () => {
    const a = await filesLayer({ '/b.txt': 'b', '/a/x.txt': 'x', '/big': { content: { path: p('big.bin') } } });
    const b = await filesLayer({ '/big': { content: { path: p('big.bin') } }, 'a/x.txt': 'x', 'b.txt': 'b' });
    const c = await filesLayer({
      '/b.txt': { content: 'b', mode: 0o600 },
      '/a/x.txt': 'x',
      '/big': { content: { path: p('big.bin') } },
    });
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
    assert.notEqual(a.diffId, c.diffId);
  });

  it('folderLayer: a folder under /srv with its modes, a symlink, one owner and a fixed mtime; equal on rebuild', async () => {
    const layer = await folderLayer(p('site'), { into: '/srv/www', uid: 101, gid: 102 });
    const again = await folderLayer(p('site'), { into: '/srv/www', uid: 101, gid: 102 });
    assert.equal(layer.digest, again.digest);
    const rootfs = await unpack(layer, 'folder');
    assert.equal(await readFile(join(rootfs, 'srv/www/static/css/app.css'), 'utf8'), 'body{}\n');
    assert.equal(await readlink(join(rootfs, 'srv/www/home.html')), 'index.html');
    assert.deepEqual(await owner(join(rootfs, 'srv/www/run.sh')), { mode: 0o750, uid: 101, gid: 102, mtime: 0 });
    assert.deepEqual(await owner(join(rootfs, 'srv/www/static')), { mode: 0o700, uid: 101, gid: 102, mtime: 0 });
    assert.deepEqual(await owner(join(rootfs, 'srv')), { mode: 0o755, uid: 101, gid: 102, mtime: 0 });
  });

  it('folderLayer refuses a FIFO, and a source that changes after the layer was made fails its stream with TSKO_DIGEST_MISMATCH', async () => {
    await mkdir(p('odd'));
    await runOk('mkfifo', [p('odd', 'pipe')]);
    await assert.rejects(
      folderLayer(p('odd')),
      (err) => isTskoError(err, 'TSKO_PATH_INVALID') && err.message.includes(p('odd', 'pipe')),
    );
    await writeFile(p('changing.txt'), 'before\n');
    const layer = await filesLayer({ '/x': { content: { path: p('changing.txt') } } });
    await writeFile(p('changing.txt'), 'after!\n'); // same size, other bytes
    await assert.rejects(
      async () => {
        for await (const chunk of await layer.open()) void chunk;
      },
      (err) => isTskoError(err, 'TSKO_DIGEST_MISMATCH'),
    );
  });

  it('refuses paths that would leave the image root', async () => {
    for (const path of ['../etc/passwd', '/a/../../b', '/', 'a\0b']) {
      await assert.rejects(filesLayer({ [path]: 'x' }), (err) => isTskoError(err, 'TSKO_INVALID_ARGUMENT'), path);
    }
  });
});
