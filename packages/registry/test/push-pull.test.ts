import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ImageIndex, pull, pullImage, pushImage, sha256, type RegistryEvent } from '@tsko/registry';
import {
  skopeoConfig,
  skopeoInspect,
  skopeoRaw,
  startRegistry,
  testImage,
  type RegistryKind,
  type TestRegistry,
} from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

async function hashStream(stream: NodeJS.ReadableStream): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

for (const kind of ['plain', 'htpasswd', 'tls', 'token'] as RegistryKind[]) {
  describe(`push and pull against a real ${kind} registry`, () => {
    let registry: TestRegistry;
    before(async () => {
      registry = await startRegistry(kind);
    });
    after(() => registry?.stop());

    it('pushes a multi-layer image that skopeo reads back byte for byte', async () => {
      const image = await testImage(`multi-${kind}`);
      const events: RegistryEvent[] = [];
      const result = await pushImage(image, `${registry.host}/team/app:v1`, {
        ...optionsFor(registry),
        onEvent: (e) => events.push(e),
      });
      assert.equal(result.digest, image.digest);
      assert.equal(result.ref, `${registry.host}/team/app@${image.digest}`);
      assert.deepEqual(result.tags, ['v1']);
      const raw = await skopeoRaw(registry, `${registry.host}/team/app:v1`);
      assert.equal(sha256(raw), image.digest);
      assert.deepEqual(raw, image.rawManifest);
      const inspected = await skopeoInspect(registry, `${registry.host}/team/app:v1`);
      assert.equal(inspected.Digest, image.digest);
      assert.deepEqual(
        inspected.Layers,
        image.layers.map((l) => l.digest),
      );
      const config = await skopeoConfig(registry, `${registry.host}/team/app:v1`);
      assert.deepEqual(
        (config.rootfs as { diff_ids: string[] }).diff_ids,
        image.layers.map((l) => l.diffId),
      );
      assert.equal(events.filter((e) => e.type === 'blob:done').length, 4, 'three layers and the config were uploaded');
      assert.ok(events.some((e) => e.type === 'manifest:pushed'));
    });

    it('pushes a two-platform index with extra tags, and skopeo sees both children', async () => {
      const amd = await testImage(`idx-${kind}`, { os: 'linux', architecture: 'amd64' });
      const arm = await testImage(`idx-${kind}`, { os: 'linux', architecture: 'arm64', variant: 'v8' });
      const index = ImageIndex.create([{ image: amd }, { image: arm }]);
      const result = await pushImage(index, `${registry.host}/team/multi:v2`, {
        ...optionsFor(registry),
        tags: ['latest', 'stable'],
      });
      assert.equal(result.digest, index.digest);
      assert.deepEqual(result.tags, ['v2', 'latest', 'stable']);
      for (const tag of ['v2', 'latest', 'stable']) {
        assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/team/multi:${tag}`)), index.digest, tag);
      }
      const listed = JSON.parse((await skopeoRaw(registry, `${registry.host}/team/multi:v2`)).toString()) as {
        manifests: { digest: string; platform: { architecture: string; variant?: string } }[];
      };
      assert.deepEqual(
        listed.manifests.map((m) => [m.digest, m.platform.architecture, m.platform.variant]),
        [
          [amd.digest, 'amd64', undefined],
          [arm.digest, 'arm64', 'v8'],
        ],
      );
      for (const child of [amd, arm]) {
        assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/team/multi@${child.digest}`)), child.digest);
      }
    });

    it('pulls back by tag and by digest, with layers that stream verified bytes', async () => {
      const image = await testImage(`pull-${kind}`);
      await pushImage(image, `${registry.host}/team/pulled:t`, optionsFor(registry));
      const byTag = await pullImage(`${registry.host}/team/pulled:t`, optionsFor(registry));
      assert.equal(byTag.digest, image.digest);
      assert.deepEqual(byTag.rawConfig, image.rawConfig);
      const byDigest = await pullImage(`${registry.host}/team/pulled@${image.digest}`, optionsFor(registry));
      assert.equal(byDigest.digest, image.digest);
      for (const [i, layer] of byDigest.layers.entries()) {
        assert.equal(layer.diffId, image.layers[i]!.diffId);
        assert.equal(await hashStream(await layer.open()), layer.digest);
      }
    });

    it('pulls a platform out of an index and lists its platforms', async () => {
      const amd = await testImage(`sel-${kind}`, { os: 'linux', architecture: 'amd64' });
      const arm = await testImage(`sel-${kind}`, { os: 'linux', architecture: 'arm64' });
      await pushImage(
        ImageIndex.create([{ image: amd }, { image: arm }]),
        `${registry.host}/team/sel:1`,
        optionsFor(registry),
      );
      const pulled = await pull(`${registry.host}/team/sel:1`, optionsFor(registry));
      assert.equal(pulled.kind, 'lazy-index');
      if (pulled.kind !== 'lazy-index') return;
      assert.deepEqual(
        pulled.platforms.map((d) => d.platform.architecture),
        ['amd64', 'arm64'],
      );
      const arm2 = await pullImage(`${registry.host}/team/sel:1`, { ...optionsFor(registry), platform: 'linux/arm64' });
      assert.equal(arm2.digest, arm.digest);
      await assert.rejects(
        pullImage(`${registry.host}/team/sel:1`, { ...optionsFor(registry), platform: 'linux/s390x' }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'TSKO_PLATFORM_NOT_FOUND');
          assert.match(err.message, /linux\/amd64, linux\/arm64/);
          return true;
        },
      );
    });

    it('mounts blobs from another repository instead of uploading them', async () => {
      const image = await testImage(`mount-${kind}`);
      await pushImage(image, `${registry.host}/source/app:1`, optionsFor(registry));
      const base = await pullImage(`${registry.host}/source/app:1`, optionsFor(registry));
      const before = (await registry.requests()).length;
      const events: RegistryEvent[] = [];
      await pushImage(base, `${registry.host}/dest/app:1`, { ...optionsFor(registry), onEvent: (e) => events.push(e) });
      const seen = (await registry.requests()).slice(before);
      const mounts = seen.filter((r) => r.method === 'POST' && r.path.includes('mount='));
      assert.equal(mounts.length, 4, 'config and three layers were mounted');
      assert.ok(
        mounts.every((r) => r.status === 201),
        `the registry answered ${mounts.map((r) => r.status)}`,
      );
      assert.equal(seen.filter((r) => r.method === 'PATCH').length, 0, 'no bytes were uploaded');
      assert.equal(events.filter((e) => e.type === 'blob:mounted').length, 4);
      assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/dest/app:1`)), image.digest);
    });

    it('re-pushing an image asks for its manifest once and sends nothing', async () => {
      const image = await testImage(`repush-${kind}`);
      await pushImage(image, `${registry.host}/team/repush:1`, optionsFor(registry));
      const before = (await registry.requests()).length;
      const events: RegistryEvent[] = [];
      const result = await pushImage(image, `${registry.host}/team/repush:1`, {
        ...optionsFor(registry),
        onEvent: (e) => events.push(e),
      });
      const seen = (await registry.requests()).slice(before);
      assert.equal(result.digest, image.digest);
      // Besides the ping (GET /v2/, and its 401 where the registry asks for credentials):
      // one HEAD of the manifest under its tag, no blob HEADs, no upload, no manifest PUT.
      assert.deepEqual(
        seen.filter((r) => r.path !== '/v2/'),
        [{ method: 'HEAD', path: '/v2/team/repush/manifests/1', status: 200 }],
      );
      assert.deepEqual(
        events.map((e) => e.type),
        ['manifest:skipped'],
      );
    });
  });
}
