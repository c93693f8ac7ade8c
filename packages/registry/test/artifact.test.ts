import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pullArtifact, pushArtifact, type RegistryEvent } from '@tsko/registry';
import { skopeoRaw, startRegistry, tarLayer, type TestRegistry } from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

const KIND = 'application/vnd.example.record.v1+json';

describe('OCI artifacts with a config of their own media type', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('htpasswd');
  });
  after(() => registry?.stop());

  it('pushes under several tags, and reads back the config and a layer that mounts and streams verified', async () => {
    const layer = await tarLayer({ 'hello.txt': 'hello artifact\n' });
    const config = Buffer.from('{"record":1}');
    const events: RegistryEvent[] = [];
    const digest = await pushArtifact(
      `${registry.host}/cache/records:first`,
      { configMediaType: KIND, config, layers: [layer], annotations: { purpose: 'test' } },
      { ...optionsFor(registry), tags: ['second'], onEvent: (e) => events.push(e) },
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'manifest:pushed').map((e) => e.type === 'manifest:pushed' && e.reference),
      [`${registry.host}/cache/records:first`, `${registry.host}/cache/records:second`],
    );
    // An independent reader sees an OCI manifest whose config names the artifact's kind.
    const raw = JSON.parse((await skopeoRaw(registry, `${registry.host}/cache/records:second`)).toString('utf8'));
    assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(raw.config.mediaType, KIND);
    assert.equal(raw.layers[0].digest, layer.digest);

    const pulled = await pullArtifact(`${registry.host}/cache/records:first`, {
      ...optionsFor(registry),
      configMediaType: KIND,
    });
    assert.ok(pulled);
    assert.equal(pulled.digest, digest);
    assert.deepEqual(pulled.config, config);
    const remote = pulled.layer(pulled.manifest.layers[0]!, layer.diffId);
    assert.deepEqual(remote.source, { registry: registry.host, repository: 'cache/records' });
    const h = createHash('sha256');
    for await (const chunk of await remote.open()) h.update(chunk as Buffer);
    assert.equal(`sha256:${h.digest('hex')}`, layer.digest);
  });

  it('answers undefined for a tag that does not exist, and refuses an artifact of another kind', async () => {
    const options = { ...optionsFor(registry), configMediaType: KIND };
    assert.equal(await pullArtifact(`${registry.host}/cache/records:absent`, options), undefined);
    assert.equal(await pullArtifact(`${registry.host}/cache/nothing:here`, options), undefined);
    await pushArtifact(
      `${registry.host}/cache/other:v1`,
      { configMediaType: 'application/vnd.example.other+json', config: Buffer.from('{}'), layers: [] },
      optionsFor(registry),
    );
    await assert.rejects(pullArtifact(`${registry.host}/cache/other:v1`, options), {
      code: 'TSKO_UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('needs a tag to push to', async () => {
    await assert.rejects(
      pushArtifact(`${registry.host}/cache/records`, { configMediaType: KIND, config: Buffer.from('{}'), layers: [] }),
      { code: 'TSKO_INVALID_ARGUMENT' },
    );
  });
});
