import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { publish, type CoreEvent } from '@tsko/core';
import { sha256, type RegistryEvent } from '@tsko/registry';
import { skopeoConfig, skopeoRaw, startPodman, startRegistry, type Podman, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, pushBaseIndex, testEnvironment } from './helpers.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('publish to a real registry, run under podman', () => {
  let registry: TestRegistry;
  let podman: Podman;
  let baseRef: string;
  before(async () => {
    registry = await startRegistry('plain');
    podman = await startPodman([registry.host]);
    baseRef = (await pushBaseIndex(registry)).ref;
  });
  after(async () => {
    await podman?.cleanup();
    await registry?.stop();
  });

  const options = () => ({
    dir: FIXTURE,
    repo: `${registry.host}/team`,
    baseImage: baseRef,
    platforms: ['linux/amd64', 'linux/arm64'],
    ldflags: ['-X main.version=1.2.3'],
    environment: testEnvironment(),
  });

  it('publishes a two-platform index whose amd64 child runs under podman and reads kodata', async () => {
    const result = await publish('./cmd/server', options());
    const repository = `${registry.host}/team/server-${md5('example.com/app/cmd/server')}`;
    assert.equal(result.importPath, 'example.com/app/cmd/server');
    assert.equal(result.ref, `${repository}@${result.digest}`);
    assert.deepEqual(result.tags, ['latest']);
    assert.equal(result.mediaType, 'application/vnd.oci.image.index.v1+json');

    const index = JSON.parse((await skopeoRaw(registry, result.ref)).toString()) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    assert.equal(sha256(await skopeoRaw(registry, result.ref)), result.digest);
    assert.deepEqual(
      index.manifests.map((m) => m.platform.architecture),
      ['amd64', 'arm64'],
    );
    assert.deepEqual(
      result.platforms.map((p) => [p.platform, p.digest]),
      index.manifests.map((m) => [`linux/${m.platform.architecture}`, m.digest]),
    );

    const amd64 = `${repository}@${index.manifests[0]!.digest}`;
    const body = JSON.parse(await podman.runAndFetch(amd64)) as Record<string, string>;
    assert.deepEqual(body, {
      version: '1.2.3',
      greeting: 'hello from kodata\n',
      nested: 'nested file\n',
      platform: 'linux/amd64',
      library: 'lib',
    });

    const config = (await skopeoConfig(registry, amd64)) as {
      config: { Entrypoint: string[]; Cmd?: string[]; Env: string[]; User: string };
      history: { comment?: string }[];
    };
    assert.deepEqual(config.config.Entrypoint, ['/ko-app/server']);
    assert.equal(config.config.Cmd, undefined);
    assert.ok(config.config.Env.includes('PATH=/usr/local/bin:/usr/bin:/bin:/ko-app'));
    assert.ok(config.config.Env.includes('KO_DATA_PATH=/var/run/ko'));
    assert.equal(config.config.User, '65532', 'user inherited from the base');
    assert.deepEqual(
      config.history.slice(-2).map((h) => h.comment),
      ['kodata contents, at $KO_DATA_PATH', 'go build output, at /ko-app/server'],
    );

    const child = JSON.parse((await skopeoRaw(registry, amd64)).toString()) as {
      annotations: Record<string, string>;
      layers: { mediaType: string }[];
    };
    assert.equal(child.annotations['org.opencontainers.image.base.name'], baseRef);
    const baseIndex = JSON.parse((await skopeoRaw(registry, baseRef)).toString()) as {
      manifests: { digest: string }[];
    };
    assert.equal(child.annotations['org.opencontainers.image.base.digest'], baseIndex.manifests[0]!.digest);
    assert.ok(child.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip'));

    const mounts = (await registry.requests()).filter((r) => r.method === 'POST' && r.path.includes('from=base'));
    assert.ok(
      mounts.length >= 2 && mounts.every((m) => m.status === 201),
      'base layers were mounted from the base repository',
    );
  });

  it('attaches an SPDX SBOM to each image and the index, the way ko does', async () => {
    const result = await publish('./cmd/server', options());
    assert.equal(result.sboms.length, 3);
    for (const sbom of result.sboms) {
      const manifest = JSON.parse((await skopeoRaw(registry, sbom.ref)).toString()) as {
        subject: { digest: string };
        layers: { mediaType: string; digest: string }[];
      };
      assert.equal(manifest.subject.digest, sbom.subject);
      assert.equal(manifest.layers[0]!.mediaType, 'text/spdx+json');
      const doc = (await (
        await fetch(
          `http://${registry.host}/v2/${sbom.ref.split('/').slice(1).join('/').split(':')[0]}/blobs/${manifest.layers[0]!.digest}`,
        )
      ).json()) as { spdxVersion: string; packages: { name: string }[] };
      assert.equal(doc.spdxVersion, 'SPDX-2.3');
      assert.equal(doc.packages[0]!.name, sbom.subject);
    }
    const imageSbom = result.sboms.find((s) => s.subject === result.platforms[0]!.digest)!;
    assert.match(imageSbom.ref, /:sha256-[0-9a-f]{64}\.sbom$/);
  });

  it('publishing again gives identical digests and uploads no blob bytes', async () => {
    const first = await publish('./cmd/server', options());
    const seenBefore = (await registry.requests()).length;
    const events: (CoreEvent | RegistryEvent)[] = [];
    const second = await publish('./cmd/server', { ...options(), onEvent: (e) => events.push(e) });
    assert.equal(second.digest, first.digest);
    assert.deepEqual(second.platforms, first.platforms);
    const traffic = (await registry.requests()).slice(seenBefore);
    assert.deepEqual(
      traffic.filter((r) => r.method === 'PATCH'),
      [],
      'no blob bytes were uploaded',
    );
    // Every tag and SBOM tag already names what would be pushed: HEADs answer, nothing is written.
    assert.deepEqual(
      traffic.filter((r) => r.method !== 'HEAD' && r.method !== 'GET').map((r) => `${r.method} ${r.path}`),
      [],
      'nothing was written',
    );
    assert.ok(traffic.filter((r) => r.method === 'HEAD').length <= 4, 'the index tag and three SBOM tags');
    assert.ok(
      events.some((e) => e.type === 'layer:cached'),
      'binary layers came from the layer cache',
    );
    assert.ok(!events.some((e) => e.type === 'blob:uploading'));
  });

  it('a no-op republish asks the target repository one HEAD per manifest and SBOM, and writes nothing', async () => {
    const first = await publish('./cmd/server', options());
    const seenBefore = (await registry.requests()).length;
    const second = await publish('./cmd/server', options());
    assert.equal(second.digest, first.digest);
    assert.deepEqual(second.sboms, first.sboms);
    const repoPath = `/v2/team/server-${md5('example.com/app/cmd/server')}/`;
    const toTarget = (await registry.requests())
      .slice(seenBefore)
      .filter((r) => r.path.startsWith(repoPath))
      .map((r) => `${r.method} ${r.path.slice(repoPath.length)} ${r.status}`)
      .sort();
    assert.equal(second.sboms.length, 3, 'the index and each platform image have an SBOM');
    assert.deepEqual(
      toTarget,
      [
        'HEAD manifests/latest 200',
        ...second.sboms.map((s) => `HEAD manifests/${s.subject.replace(':', '-')}.sbom 200`),
      ].sort(),
    );
  });
});
