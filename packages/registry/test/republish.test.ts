import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { headManifest, pushImage, RegistrySession, sha256, type RegistryEvent } from '@tsko/registry';
import { skopeoRaw, startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

// What a push sends when the registry already holds some of it, read from the real
// registry's own access log: a manifest already under a name costs one HEAD; anything that
// differs is still written, blobs included.
describe('pushing what the registry already has', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('plain');
  });
  after(() => registry?.stop());

  /** The requests `work` caused, without the ping every new session starts with. */
  async function traffic(work: () => Promise<unknown>) {
    const before = (await registry.requests()).length;
    await work();
    return (await registry.requests()).slice(before).filter((r) => r.path !== '/v2/');
  }

  it('moves a tag that points at another image, pushing the blobs the new one needs', async () => {
    const first = await testImage('moved-first', undefined, 1);
    const second = await testImage('moved-second', undefined, 1);
    await pushImage(first, `${registry.host}/team/moved:1`, optionsFor(registry));
    const events: RegistryEvent[] = [];
    const seen = await traffic(() =>
      pushImage(second, `${registry.host}/team/moved:1`, { ...optionsFor(registry), onEvent: (e) => events.push(e) }),
    );
    assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/team/moved:1`)), second.digest);
    assert.deepEqual(seen[0], { method: 'HEAD', path: '/v2/team/moved/manifests/1', status: 200 });
    const layer = second.layers[0]!.digest;
    assert.ok(
      seen.some((r) => r.method === 'PUT' && r.path.includes(`digest=${encodeURIComponent(layer)}`)),
      'the new layer was uploaded',
    );
    assert.ok(seen.some((r) => r.method === 'PUT' && r.path === '/v2/team/moved/manifests/1'));
    assert.ok(!events.some((e) => e.type === 'manifest:skipped'));
  });

  it('adds a missing extra tag with one PUT and touches no blob', async () => {
    const image = await testImage('extra-tag', undefined, 1);
    await pushImage(image, `${registry.host}/team/extra:1`, optionsFor(registry));
    const events: RegistryEvent[] = [];
    const seen = await traffic(() =>
      pushImage(image, `${registry.host}/team/extra:1`, {
        ...optionsFor(registry),
        tags: ['2'],
        onEvent: (e) => events.push(e),
      }),
    );
    const sorted = [...seen].sort((a, b) => `${a.method}${a.path}`.localeCompare(`${b.method}${b.path}`));
    assert.deepEqual(sorted, [
      { method: 'HEAD', path: '/v2/team/extra/manifests/1', status: 200 },
      { method: 'HEAD', path: '/v2/team/extra/manifests/2', status: 404 },
      { method: 'PUT', path: '/v2/team/extra/manifests/2', status: 201 },
    ]);
    assert.deepEqual(
      events.map((e) => [e.type, 'reference' in e ? e.reference : '']),
      [
        ['manifest:skipped', `${registry.host}/team/extra:1`],
        ['manifest:pushed', `${registry.host}/team/extra:2`],
      ],
    );
    assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/team/extra:2`)), image.digest);
  });

  it('finds an image pushed by digest alone with one HEAD by digest', async () => {
    const image = await testImage('by-digest', undefined, 1);
    const ref = `${registry.host}/team/bydigest@${image.digest}`;
    await pushImage(image, ref, optionsFor(registry));
    const seen = await traffic(() => pushImage(image, ref, optionsFor(registry)));
    assert.deepEqual(seen, [{ method: 'HEAD', path: `/v2/team/bydigest/manifests/${image.digest}`, status: 200 }]);
  });

  it('headManifest names the digest a tag points at, and nothing for a missing tag', async () => {
    const image = await testImage('head', undefined, 1);
    await pushImage(image, `${registry.host}/team/head:v1`, optionsFor(registry));
    const session = new RegistrySession(optionsFor(registry));
    try {
      const found = await headManifest(`${registry.host}/team/head:v1`, { session });
      assert.equal(found?.digest, image.digest);
      assert.equal(found?.mediaType, image.mediaType);
      assert.equal(found?.size, image.rawManifest.length);
      assert.equal(await headManifest(`${registry.host}/team/head:v2`, { session }), undefined);
    } finally {
      await session.close();
    }
  });

  it('HEADs of one session share one keep-alive connection', async () => {
    const image = await testImage('one-connection', undefined, 1);
    await pushImage(image, `${registry.host}/team/conn:1`, { ...optionsFor(registry), tags: ['2', '3'] });
    const session = new RegistrySession(optionsFor(registry));
    // undici reports each new connection on this channel; its default closes one after every HEAD.
    let connections = 0;
    const count = () => connections++;
    try {
      await headManifest(`${registry.host}/team/conn:1`, { session });
      diagnostics.subscribe('undici:client:connected', count);
      for (const tag of ['1', '2', '3', '4']) await headManifest(`${registry.host}/team/conn:${tag}`, { session });
      assert.equal(connections, 0, 'no new connection after the first HEAD');
    } finally {
      diagnostics.unsubscribe('undici:client:connected', count);
      await session.close();
    }
  });
});
