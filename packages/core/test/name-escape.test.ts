import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTskoError, publish, readOciLayout } from '@tsko/core';
import { sha256 } from '@tsko/registry';
import { startRegistry, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, testEnvironment } from './helpers.js';

describe('publish tags cannot escape the repository', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('plain');
  });
  after(() => registry?.stop());

  for (const tag of ['../../../prod/app/manifests/latest', '%2e%2e', '', 'a/b', 'x'.repeat(129)]) {
    it(`publish({ tags: [${JSON.stringify(tag.slice(0, 40))}] }) is refused, naming it, before any build or request`, async () => {
      const started = Date.now();
      await assert.rejects(
        publish('./cmd/server', {
          dir: FIXTURE,
          repo: `${registry.host}/dev`,
          baseImage: 'scratch',
          platforms: ['linux/amd64'],
          tags: ['v1', tag],
          environment: testEnvironment(),
        }),
        (err: unknown) => {
          assert.ok(isTskoError(err), String(err));
          // An empty tag is caught by the options schema first; the rest by the tag grammar.
          assert.equal(err.code, tag === '' ? 'TSKO_CONFIG_INVALID' : 'TSKO_INVALID_REFERENCE', err.message);
          if (tag)
            assert.ok(err.message.includes(tag.slice(0, 100)) && err.message.includes('options.tags[1]'), err.message);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, 'refused before building');
      assert.deepEqual(await registry.requests(), [], 'nothing reached the registry');
    });
  }
});

describe('a layout manifest cannot point outside blobs/', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsko-layout-escape-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function layoutWithManifest(configDigest: string): Promise<string> {
    const dir = await mkdtemp(join(root, 'l-'));
    // A file the traversal would reach: reading it would be a TSKO_DIGEST_MISMATCH, not a refusal.
    await writeFile(join(dir, 'x'), 'outside blobs');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: 13 },
        layers: [],
      }),
    );
    const digest = sha256(manifest);
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), manifest);
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest,
            size: manifest.length,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    );
    return dir;
  }

  for (const bad of ['sha256:../../x', `sha256:${'A'.repeat(64)}`, 'sha256:../../../../../../etc/passwd']) {
    it(`a config digest ${JSON.stringify(bad.slice(0, 24))} is TSKO_INVALID_MANIFEST before any file is read`, async () => {
      const dir = await layoutWithManifest(bad);
      await assert.rejects(
        readOciLayout(dir, 'v1'),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_MANIFEST') && /config\.digest/.test(err.message),
      );
      assert.equal(await readFile(join(dir, 'x'), 'utf8'), 'outside blobs');
    });
  }

  it('an index.json entry with a traversal digest is refused', async () => {
    const dir = await layoutWithManifest(sha256('{}'));
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: 'sha256:../../x',
            size: 13,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    );
    await assert.rejects(
      readOciLayout(dir, 'v1'),
      (err: unknown) =>
        isTskoError(err) && /digest/.test(String(err.message) + String((err.cause as Error | undefined)?.message)),
    );
  });
});
