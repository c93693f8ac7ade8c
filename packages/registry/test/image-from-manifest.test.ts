import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  imageFromManifest,
  isTskoError,
  pushImage,
  RegistrySession,
  sha256,
  type BlobFetcher,
  type Digest,
} from '@tsko/registry';
import { startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

/**
 * imageFromManifest is the one place bytes become an Image (pull and the layout reader both use
 * it). Its blob fetcher here is a real registry repository, so "fetched nothing" is read from
 * the registry's own access log, not from a counter in the test.
 */
describe('imageFromManifest: manifest bytes and a blob fetcher make an image', () => {
  let registry: TestRegistry;
  let blobs: BlobFetcher;
  before(async () => {
    registry = await startRegistry('plain');
    const client = new RegistrySession(optionsFor(registry)).client(registry.host);
    blobs = {
      source: { registry: registry.host, repository: 'team/app' },
      readBlob: (digest) => client.getSmallBlob('team/app', digest),
      openLayer: (d) => client.getBlob('team/app', d.digest as Digest, d.size),
    };
  });
  after(() => registry?.stop());

  const blobRequests = async () => (await registry.requests()).filter((r) => r.path.includes('/blobs/'));

  it('builds the image a registry holds, keeping the manifest bytes and their digest', async () => {
    const image = await testImage('from-manifest', undefined, 2);
    await pushImage(image, `${registry.host}/team/app:v1`, optionsFor(registry));
    const before = (await blobRequests()).length;
    const read = await imageFromManifest(image.rawManifest, blobs, 'test image');
    assert.equal(read.digest, image.digest);
    assert.deepEqual(read.rawConfig, image.rawConfig);
    assert.deepEqual(
      read.layers.map((l) => [l.digest, l.diffId, l.source?.repository]),
      image.layers.map((l) => [l.digest, l.diffId, 'team/app']),
    );
    const fetched = (await blobRequests()).slice(before);
    // The config only: layers stay lazy until someone opens them.
    assert.deepEqual(
      fetched.map((r) => `${r.method} ${r.path}`),
      [`GET /v2/team/app/blobs/${image.manifest.config.digest}`],
    );
  });

  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2 };
  const malformed: [string, string][] = [
    ['not JSON', '{"schemaVersion": 2, "config": {'],
    ['schema version 1', JSON.stringify({ schemaVersion: 1, config: { ...config, digest: sha256('{}') }, layers: [] })],
    ['a config without a digest', JSON.stringify({ schemaVersion: 2, config, layers: [] })],
    [
      'a traversal config digest',
      JSON.stringify({ schemaVersion: 2, config: { ...config, digest: 'sha256:../../../etc/passwd' }, layers: [] }),
    ],
    [
      'a layer digest that is not one',
      JSON.stringify({
        schemaVersion: 2,
        config: { ...config, digest: sha256('{}') },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'md5:abc', size: 1 }],
      }),
    ],
  ];
  for (const [what, text] of malformed) {
    it(`refuses a manifest that is ${what} with TSKO_INVALID_MANIFEST, before fetching anything`, async () => {
      const before = (await blobRequests()).length;
      await assert.rejects(imageFromManifest(Buffer.from(text), blobs, 'hostile image'), (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_INVALID_MANIFEST'), String(err));
        assert.match(err.message, /^hostile image manifest /);
        return true;
      });
      assert.deepEqual((await blobRequests()).slice(before), [], 'no blob was requested');
    });
  }

  it('refuses a config whose bytes do not match the digest the manifest names', async () => {
    const image = await testImage('wrong-config', undefined, 1);
    const other = await testImage('other-config', undefined, 1);
    await pushImage(other, `${registry.host}/team/app:other`, optionsFor(registry));
    const lying: BlobFetcher = { ...blobs, readBlob: () => blobs.readBlob(other.manifest.config.digest as Digest) };
    await assert.rejects(imageFromManifest(image.rawManifest, lying, 'lying image'), (err: unknown) =>
      isTskoError(err, 'TSKO_DIGEST_MISMATCH'),
    );
  });
});
