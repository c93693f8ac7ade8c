import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveBase, writeOciLayout, type ResolvedBase } from '@tsko/core';
import { ImageIndex, pushImage, RegistrySession } from '@tsko/registry';
import { startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';

/** The platforms a resolved base offers, as the builder sees them. */
function platformsOf(base: ResolvedBase): string[] {
  assert.equal(base.kind, 'base');
  if (base.kind !== 'base' || base.node.kind !== 'lazy-index') throw new Error('expected a base index');
  return base.node.platforms.map((d) => `${d.platform.os}/${d.platform.architecture} ${d.digest}`);
}

describe('a base index resolves to one shape wherever it lives', () => {
  let registry: TestRegistry;
  let work: string;
  let index: ImageIndex;
  before(async () => {
    registry = await startRegistry('plain');
    work = await mkdtemp(join(tmpdir(), 'tsko-base-image-'));
    index = ImageIndex.create([
      { image: await testImage('base', { os: 'linux', architecture: 'amd64' }, 1) },
      { image: await testImage('base', { os: 'linux', architecture: 'arm64' }, 1) },
    ]);
    await pushImage(index, `${registry.host}/base/multi:v1`, { env: { HOME: '/nonexistent-tsko-home' } });
    await writeOciLayout(join(work, 'layout'), index, 'v1');
  });
  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('a layout-read base index and a remote base index give the same platforms and children', async () => {
    const session = new RegistrySession({ env: { HOME: '/nonexistent-tsko-home' } });
    const remote = await resolveBase(`${registry.host}/base/multi:v1`, { dir: work, session });
    const layout = await resolveBase('oci-layout://layout:v1', { dir: work, session });
    assert.equal(remote.name, `${registry.host}/base/multi:v1`);
    assert.equal(layout.name, 'oci-layout://layout:v1');
    const expected = index.manifest.manifests.map((d) => `${d.platform!.os}/${d.platform!.architecture} ${d.digest}`);
    assert.deepEqual(platformsOf(remote), expected);
    assert.deepEqual(platformsOf(layout), expected);
    for (const base of [remote, layout]) {
      if (base.kind !== 'base' || base.node.kind !== 'lazy-index') continue;
      assert.equal(base.node.digest, index.digest);
      const arm = await base.node.image({ os: 'linux', architecture: 'arm64' });
      assert.equal(arm.digest, index.manifest.manifests[1]!.digest);
    }
  });

  it('scratch is its own kind, never taken for an image', async () => {
    const base = await resolveBase('scratch', { dir: work, session: new RegistrySession() });
    assert.deepEqual(base, { kind: 'scratch', name: 'scratch' });
  });
});
