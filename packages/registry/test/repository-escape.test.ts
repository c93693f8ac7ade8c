import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTskoError, MediaType, pull, pullImage, pushImage, sha256 } from '@tsko/registry';
import {
  run,
  startRecordingHost,
  startRegistry,
  testImage,
  type RecordingHost,
  type TestRegistry,
} from '@tsko/test-rig';

// A tag, digest or repository that is not in the distribution grammar would be resolved by the
// URL parser ("/v2/dev/scratch/manifests/../../../prod/app/manifests/latest" is
// "/v2/prod/app/manifests/latest") and write into another repository. Each is refused before
// anything is sent, and a manifest from a registry is validated before its digests are used.

const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };
const fast = { env, retry: { baseDelayMs: 10, maxDelayMs: 50 } };

async function absent(registry: TestRegistry, ref: string): Promise<boolean> {
  const result = await run('skopeo', ['inspect', '--raw', ...registry.skopeoFlags(), `docker://${ref}`]);
  return result.code !== 0 && /manifest unknown|not found|name unknown/i.test(result.stderr);
}

describe('names cannot escape their repository', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('plain');
  });
  after(() => registry?.stop());

  it('a traversal tag in pushImage options is refused, nothing is sent and prod/app stays absent', async () => {
    const before = (await registry.requests()).length;
    const tag = '../../../prod/app/manifests/latest';
    await assert.rejects(
      pushImage(await testImage('escape', undefined, 1), `${registry.host}/dev/scratch:v1`, { ...fast, tags: [tag] }),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_INVALID_REFERENCE'), String(err));
        assert.ok(err.message.includes(tag), err.message);
        assert.match(err.message, /tags\[0\]/);
        return true;
      },
    );
    assert.equal((await registry.requests()).length, before, 'no request reached the registry');
    assert.ok(await absent(registry, `${registry.host}/prod/app:latest`), 'prod/app:latest does not exist');
    assert.ok(await absent(registry, `${registry.host}/dev/scratch:v1`), 'dev/scratch:v1 was not pushed either');
  });

  for (const [what, ref] of [
    ['tag', { registry: '', repository: 'dev/scratch', tag: '../../../prod/app/manifests/latest' }],
    ['repository', { registry: '', repository: 'dev/scratch/../../prod/app' }],
    ['digest', { registry: '', repository: 'dev/scratch', digest: 'sha256:../../../prod/app/manifests/latest' }],
  ] as const) {
    it(`a reference object with a traversal ${what} is refused by push and pull`, async () => {
      const target = { ...ref, registry: registry.host } as Parameters<typeof pushImage>[1];
      const before = (await registry.requests()).length;
      await assert.rejects(
        pushImage(await testImage(`obj-${what}`, undefined, 1), target, fast),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_REFERENCE') && err.message.includes('..'),
      );
      await assert.rejects(pull(target, fast), (err: unknown) => isTskoError(err, 'TSKO_INVALID_REFERENCE'));
      assert.equal((await registry.requests()).length, before, 'no request reached the registry');
    });
  }

  it('an ordinary extra tag still works', async () => {
    const image = await testImage('ok-tag', undefined, 1);
    const result = await pushImage(image, `${registry.host}/dev/scratch:v2`, { ...fast, tags: ['latest', 'v2.0.1'] });
    assert.deepEqual(result.tags, ['v2', 'latest', 'v2.0.1']);
    assert.equal((await pullImage(`${registry.host}/dev/scratch:v2.0.1`, fast)).digest, image.digest);
  });
});

describe('a hostile registry cannot steer requests with a manifest', () => {
  let hostile: RecordingHost;
  let served: Buffer = Buffer.alloc(0);
  before(async () => {
    // A registry double on another loopback address: it answers the ping and serves whatever
    // manifest the test sets, then records anything else the client asks for.
    hostile = await startRecordingHost({
      address: '127.0.0.2',
      respond: (req) => {
        if (req.url === '/v2/') return { status: 200, body: '{}' };
        if (req.url.includes('/manifests/')) {
          const mediaType = (JSON.parse(served.toString()) as { mediaType: string }).mediaType;
          return {
            status: 200,
            headers: { 'content-type': mediaType, 'docker-content-digest': sha256(served) },
            body: served.toString(),
          };
        }
        return { status: 404 };
      },
    });
  });
  after(() => hostile?.close());

  const descriptor = (mediaType: string, digest: string) => ({ mediaType, digest, size: 2 });
  for (const bad of ['sha256:../../x', `sha256:${'A'.repeat(64)}`, 'sha256:%2e%2e%2fx']) {
    for (const where of ['config', 'layer', 'index child'] as const) {
      it(`${where === 'index child' ? 'an' : 'a'} ${where} digest ${JSON.stringify(bad.slice(0, 20))} is refused before any request uses it`, async () => {
        const good = sha256('{}');
        const manifest =
          where === 'index child'
            ? {
                schemaVersion: 2,
                mediaType: MediaType.OCI_INDEX,
                manifests: [
                  { ...descriptor(MediaType.OCI_MANIFEST, bad), platform: { os: 'linux', architecture: 'amd64' } },
                ],
              }
            : {
                schemaVersion: 2,
                mediaType: MediaType.OCI_MANIFEST,
                config: descriptor(MediaType.OCI_CONFIG, where === 'config' ? bad : good),
                layers: [descriptor(MediaType.OCI_LAYER_GZIP, where === 'layer' ? bad : good)],
              };
        served = Buffer.from(JSON.stringify(manifest));
        const before = hostile.requests.length;
        await assert.rejects(
          pullImage(`${hostile.host}/team/app:v1`, { ...fast, platform: 'linux/amd64' }),
          (err: unknown) => {
            assert.ok(isTskoError(err, 'TSKO_INVALID_MANIFEST'), String(err));
            assert.match(err.message, /digest/);
            return true;
          },
        );
        const asked = hostile.requests.slice(before).map((r) => `${r.method} ${r.url}`);
        assert.deepEqual(
          asked.filter((a) => !a.endsWith(' /v2/')),
          ['GET /v2/team/app/manifests/v1'],
          'only the manifest was fetched',
        );
      });
    }
  }
});
