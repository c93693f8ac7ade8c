import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, writeOciLayout, type Image, type ImageIndex } from '@tsko/core';
import { ImageIndex as Index, MediaType } from '@tsko/registry';
import { baseImage, FIXTURE, testEnvironment } from './helpers.js';

describe('a Docker schema 2 base', () => {
  let work: string;
  let layout: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-docker-base-'));
    layout = join(work, 'base');
    const amd = await baseImage({ os: 'linux', architecture: 'amd64' }, MediaType.DOCKER_MANIFEST);
    const arm = await baseImage({ os: 'linux', architecture: 'arm64' }, MediaType.DOCKER_MANIFEST);
    await writeOciLayout(
      layout,
      Index.create([{ image: amd }, { image: arm }], { mediaType: MediaType.DOCKER_MANIFEST_LIST }),
      'v1',
    );
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('keeps the manifest list type, and new layers follow the base (Docker layer media type)', async () => {
    const result = await build('./cmd/server', {
      dir: FIXTURE,
      baseImage: `oci-layout://${layout}:v1`,
      platforms: 'all',
      environment: testEnvironment(),
    });
    const index = result.image as ImageIndex;
    assert.equal(index.mediaType, MediaType.DOCKER_MANIFEST_LIST);
    for (const child of index.children) {
      const image = child.image as Image;
      assert.equal(image.mediaType, MediaType.DOCKER_MANIFEST);
      assert.equal(image.manifest.config.mediaType, MediaType.DOCKER_CONFIG);
      assert.deepEqual(
        image.layers.map((l) => l.mediaType),
        [MediaType.DOCKER_LAYER_GZIP, MediaType.DOCKER_LAYER_GZIP, MediaType.DOCKER_LAYER_GZIP],
      );
      // As ko (go-containerregistry writes annotations into schema 2 manifests too).
      assert.equal(image.manifest.annotations?.['org.opencontainers.image.base.name'], `oci-layout://${layout}:v1`);
    }
    assert.equal(index.manifest.annotations?.['org.opencontainers.image.base.name'], `oci-layout://${layout}:v1`);
  });

  it('takes user annotations on a Docker base, as ko does', async () => {
    const result = await build('./cmd/server', {
      dir: FIXTURE,
      baseImage: `oci-layout://${layout}:v1`,
      platforms: ['linux/amd64'],
      annotations: { a: 'b' },
      environment: testEnvironment(),
    });
    assert.equal((result.image as Image).manifest.annotations?.a, 'b');
  });
});
