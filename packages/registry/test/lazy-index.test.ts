import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  emptyImage,
  ImageIndex,
  isImage,
  isImageIndex,
  isLazyIndex,
  isTskoError,
  lazyIndexOf,
  pull,
  pushImage,
  readOciLayout,
  writeOciLayout,
  type Image,
  type LazyIndex,
} from '@tsko/registry';
import { startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

/**
 * One index, three places: a registry, an OCI layout folder and memory. Whatever the source,
 * it comes back as the same LazyIndex type with the same platform list, and a platform loads
 * the same child.
 */
describe('a lazy index is the same whether pulled, read from a layout or held in memory', () => {
  let registry: TestRegistry;
  let work: string;
  let index: ImageIndex;
  let children: Image[];
  let sources: [string, LazyIndex][];

  before(async () => {
    registry = await startRegistry('plain');
    work = await mkdtemp(join(tmpdir(), 'tsko-lazy-index-'));
    children = [
      await testImage('lazy', { os: 'linux', architecture: 'amd64' }, 1),
      await testImage('lazy', { os: 'linux', architecture: 'arm64', variant: 'v8' }, 1),
      await testImage('lazy', { os: 'linux', architecture: 'arm', variant: 'v7' }, 1),
    ];
    // An attestation entry (BuildKit lists them as unknown/unknown) is no platform to build on.
    const attestation = emptyImage({ os: 'unknown', architecture: 'unknown' });
    // A nested index is no image to build on either, even with a platform.
    const nested = ImageIndex.create([{ image: children[0]! }]);
    index = ImageIndex.create([
      ...children.map((image) => ({ image })),
      { image: attestation },
      { image: nested, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    await pushImage(index, `${registry.host}/base/multi:v1`, optionsFor(registry));
    await writeOciLayout(join(work, 'layout'), index, 'v1');
    const pulled = await pull(`${registry.host}/base/multi:v1`, optionsFor(registry));
    const read = await readOciLayout(join(work, 'layout'), 'v1');
    assert.ok(isLazyIndex(pulled) && isLazyIndex(read), 'both sources give a LazyIndex');
    sources = [
      ['registry', pulled],
      ['layout', read],
      ['memory', lazyIndexOf(index)],
    ];
  });
  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('lists the same platforms in index order, attestations and nested indexes left out', () => {
    const expected = index.manifest.manifests.slice(0, 3);
    for (const [where, lazy] of sources) {
      assert.equal(lazy.kind, 'lazy-index', where);
      assert.equal(lazy.digest, index.digest, where);
      assert.deepEqual(lazy.rawManifest, index.rawManifest, where);
      assert.deepEqual(lazy.platforms, expected, where);
      assert.deepEqual(lazy.descriptor(), index.descriptor(), where);
    }
  });

  it('loads the same child for a platform (arm64 matches v8, arm needs its variant) and for a descriptor', async () => {
    for (const [where, lazy] of sources) {
      const arm64 = await lazy.image({ os: 'linux', architecture: 'arm64' });
      assert.equal(arm64.digest, children[1]!.digest, where);
      const arm = await lazy.image({ os: 'linux', architecture: 'arm', variant: 'v7' });
      assert.equal(arm.digest, children[2]!.digest, where);
      assert.equal((await lazy.image(lazy.platforms[0]!)).digest, children[0]!.digest, where);
      assert.deepEqual(arm.rawConfig, children[2]!.rawConfig, where);
    }
  });

  it('names what exists when a platform is missing; refuses a descriptor that is not an entry or not an image', async () => {
    for (const [where, lazy] of sources) {
      await assert.rejects(lazy.image({ os: 'linux', architecture: 's390x' }), (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_PLATFORM_NOT_FOUND'), `${where}: ${err}`);
        assert.match(err.message, /linux\/s390x; it has: linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7\.$/, where);
        return true;
      });
      const stranger = emptyImage({ os: 'linux', architecture: 'amd64' }).descriptor();
      await assert.rejects(lazy.image(stranger), (err: unknown) => isTskoError(err, 'TSKO_NOT_FOUND'), where);
      const nested = lazy.manifest.manifests[4]!;
      await assert.rejects(
        lazy.image(nested),
        (err: unknown) => isTskoError(err, 'TSKO_UNSUPPORTED_MEDIA_TYPE') && err.message.includes(nested.digest),
        where,
      );
    }
  });

  it('is told apart from an Image and an ImageIndex by the exact guards', async () => {
    const image = children[0]!;
    for (const [where, lazy] of sources) {
      assert.equal(isImageIndex(lazy), false, where);
      assert.equal(isImage(lazy), false, where);
    }
    assert.equal(isImage(image), true);
    assert.equal(isImageIndex(index), true);
    assert.equal(isLazyIndex(index), false);
    assert.equal(isImage(index), false);
    assert.equal(isImageIndex(image), false);
    // What pull and readOciLayout returned before: a wrapper saying kind 'image' is no image.
    assert.equal(isImage({ kind: 'image', image }), false);
    assert.equal(isImageIndex({ kind: 'index', index: sources[0]![1] }), false);
    // A copy of a value (spread) loses the brand, as a structural look-alike should.
    assert.equal(isImage({ ...image }), false);
    assert.equal(isImage(null), false);
  });

  it('a single image in a registry or a layout comes back as the Image itself', async () => {
    const single = children[0]!;
    await pushImage(single, `${registry.host}/base/single:v1`, optionsFor(registry));
    await writeOciLayout(join(work, 'layout'), single, 'single');
    for (const got of [
      await pull(`${registry.host}/base/single:v1`, optionsFor(registry)),
      await readOciLayout(join(work, 'layout'), 'single'),
    ]) {
      assert.ok(isImage(got));
      assert.equal(got.digest, single.digest);
    }
  });

  it('cannot be pushed or written as if its children were loaded: a typed error, no request', async () => {
    const lazy = sources[0]![1];
    const before = (await registry.requests()).length;
    await assert.rejects(
      pushImage(lazy as unknown as ImageIndex, `${registry.host}/base/copy:v1`, optionsFor(registry)),
      (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT') && /LazyIndex/.test(err.message),
    );
    assert.deepEqual((await registry.requests()).slice(before), []);
    await assert.rejects(writeOciLayout(join(work, 'copy'), lazy as unknown as ImageIndex, 'v1'), (err: unknown) =>
      isTskoError(err, 'TSKO_INVALID_ARGUMENT'),
    );
  });
});
