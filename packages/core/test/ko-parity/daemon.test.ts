// Cases ported from ko (github.com/ko-build/ko) pkg/publish/daemon_test.go and the rules of
// publish/daemon.go (ko.local), against a real Docker Engine API: podman system service.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTskoError, publish, writeOciLayout, type PublishOptions } from '@tsko/core';
import { ImageIndex } from '@tsko/registry';
import { startPodman, type Podman } from '@tsko/test-rig';
import { baseImage, FIXTURE, testEnvironment } from '../helpers.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('pkg/publish/daemon_test.go', () => {
  let podman: Podman;
  let service: { socket: string; stop(): Promise<void> };
  let work: string;
  let base: string;
  before(async () => {
    podman = await startPodman();
    service = await podman.startService();
    work = await mkdtemp(join(tmpdir(), 'tsko-daemon-'));
    const layout = join(work, 'base');
    await writeOciLayout(
      layout,
      ImageIndex.create([
        { image: await baseImage({ os: 'linux', architecture: 'amd64' }) },
        { image: await baseImage({ os: 'linux', architecture: 'arm64' }) },
      ]),
      'v1',
    );
    base = `oci-layout://${layout}:v1`;
  });
  after(async () => {
    await service?.stop();
    await podman?.cleanup();
    await rm(work, { recursive: true, force: true });
  });
  const options = (extra: PublishOptions = {}, env: NodeJS.ProcessEnv = {}) => ({
    dir: FIXTURE,
    repo: 'ko.local',
    baseImage: base,
    sinks: [{ type: 'daemon' as const, socket: service.socket }],
    environment: testEnvironment({ ...env }),
    ...extra,
  });
  const tagsOf = async (repository: string) =>
    (await podman.cmd(['images', '--format', '{{.Repository}}:{{.Tag}}', repository]))
      .trim()
      .split('\n')
      .filter(Boolean)
      .sort();

  it('TestDaemon / TestDaemonTags: ko.local/<md5 name> tagged with the digest hex and every tag', async () => {
    const result = await publish(
      './cmd/server',
      options({ platforms: ['linux/amd64'], tags: ['v2.0.0', 'v1.2.3', 'production'] }),
    );
    const repository = `ko.local/server-${md5('example.com/app/cmd/server')}`;
    const hex = result.digest.slice('sha256:'.length);
    assert.equal(result.ref, `${repository}:${hex}`);
    assert.deepEqual(
      await tagsOf(repository),
      [`${repository}:${hex}`, `${repository}:production`, `${repository}:v1.2.3`, `${repository}:v2.0.0`].sort(),
    );
  });

  // ko picks GOOS/GOARCH of the environment, but refuses them together with platforms (which
  // an index needs), so in practice the daemon gets linux/amd64.
  it("an index loads its linux/amd64 image, named by that image's digest, not the index's", async () => {
    const result = await publish(
      './cmd/server',
      options({ platforms: ['linux/amd64', 'linux/arm64'], naming: 'baseImportPaths', tags: ['multi'] }),
    );
    assert.equal(result.ref, `ko.local/server:${result.platforms[0]!.digest.slice(7)}`);
    assert.notEqual(result.platforms[0]!.digest, result.digest);
    const inspected = JSON.parse(await podman.cmd(['image', 'inspect', 'ko.local/server:multi'])) as {
      Architecture: string;
    }[];
    assert.equal(inspected[0]!.Architecture, 'amd64');
  });

  it('an index without a linux/amd64 image is an error naming the platform (ko: failed to find linux/amd64 image in index)', async () => {
    const layout = join(work, 'arm-only');
    await writeOciLayout(
      layout,
      ImageIndex.create([
        { image: await baseImage({ os: 'linux', architecture: 'arm64' }) },
        { image: await baseImage({ os: 'linux', architecture: 'arm', variant: 'v7' }) },
      ]),
      'v1',
    );
    await assert.rejects(
      publish('./cmd/server', options({ baseImage: `oci-layout://${layout}:v1`, platforms: 'all' })),
      (err: unknown) => isTskoError(err, 'TSKO_PLATFORM_NOT_FOUND') && /linux\/amd64/.test(err.message),
    );
  });
  // Not applicable: TestDaemonDomain (publish.WithLocalDomain, ko's --local with another
  // domain): tsko loads into a daemon with sinks: [{ type: 'daemon' }] under any repo instead.
});
