import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publish, writeOciLayout, type PublishOptions } from '@tsko/core';
import { ImageIndex } from '@tsko/registry';
import { runOk, startPodman, type Podman } from '@tsko/test-rig';
import { baseImage, FIXTURE, testEnvironment } from './helpers.js';

describe('sinks besides a registry', () => {
  let podman: Podman;
  let work: string;
  let baseLayout: string;
  before(async () => {
    podman = await startPodman();
    work = await mkdtemp(join(tmpdir(), 'tsko-sinks-'));
    // A two-platform base as an OCI layout folder: no registry anywhere in these tests.
    baseLayout = join(work, 'base');
    const index = ImageIndex.create([
      { image: await baseImage({ os: 'linux', architecture: 'amd64' }) },
      { image: await baseImage({ os: 'linux', architecture: 'arm64' }) },
    ]);
    await writeOciLayout(baseLayout, index, 'v1');
  });
  after(async () => {
    await podman?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const common = (extra: PublishOptions = {}) => ({
    dir: FIXTURE,
    repo: 'tsko.test/team',
    naming: 'baseImportPaths' as const,
    baseImage: `oci-layout://${baseLayout}:v1`,
    push: false,
    ldflags: ['-X main.version=sink'],
    environment: testEnvironment(),
    ...extra,
  });

  it('writes an OCI layout that skopeo reads, and re-publishing does not duplicate entries', async () => {
    const layout = join(work, 'out-layout');
    const result = await publish(
      './cmd/server',
      common({ platforms: ['linux/amd64', 'linux/arm64'], sinks: [{ type: 'layout', path: layout }] }),
    );
    // Not pushed: named as ko's --push=false names it (ko itself prints the layout path here).
    assert.equal(result.ref, `tsko.test/team/server:latest@${result.digest}`);
    const raw = await runOk('skopeo', ['inspect', '--raw', `oci:${layout}:tsko.test/team/server:latest`]);
    assert.equal(JSON.parse(raw).manifests.length, 2);
    const inspected = JSON.parse(
      await runOk('skopeo', ['inspect', '--override-arch=arm64', `oci:${layout}:tsko.test/team/server:latest`]),
    ) as { Architecture: string };
    assert.equal(inspected.Architecture, 'arm64');
    await publish(
      './cmd/server',
      common({ platforms: ['linux/amd64', 'linux/arm64'], sinks: [{ type: 'layout', path: layout }] }),
    );
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [result.digest],
    );
  });

  it('writes a docker archive that podman loads and runs', async () => {
    const tarball = join(work, 'single.tar');
    await publish(
      './cmd/server',
      common({ platforms: ['linux/amd64'], tags: ['v1'], sinks: [{ type: 'tarball', path: tarball }] }),
    );
    const loaded = await podman.cmd(['load', '-i', tarball]);
    assert.match(loaded, /tsko\.test\/team\/server:v1/);
    const body = JSON.parse(await podman.runAndFetch('tsko.test/team/server:v1')) as Record<string, string>;
    assert.equal(body.version, 'sink');
    assert.equal(body.greeting, 'hello from kodata\n');
  });

  it('writes a two-platform build as one docker archive with per-platform tags (ko#1708)', async () => {
    const tarball = join(work, 'multi.tar');
    await publish(
      './cmd/server',
      common({ platforms: ['linux/amd64', 'linux/arm64'], tags: ['v2'], sinks: [{ type: 'tarball', path: tarball }] }),
    );
    const manifest = JSON.parse(await runOk('tar', ['-xOf', tarball, 'manifest.json'])) as { RepoTags: string[] }[];
    assert.deepEqual(
      manifest.map((m) => m.RepoTags),
      [['tsko.test/team/server:v2', 'tsko.test/team/server:v2-linux-amd64'], ['tsko.test/team/server:v2-linux-arm64']],
    );
    await podman.cmd(['load', '-i', tarball]);
    const arm = JSON.parse(await podman.cmd(['image', 'inspect', 'tsko.test/team/server:v2-linux-arm64'])) as {
      Architecture: string;
    }[];
    assert.equal(arm[0]!.Architecture, 'arm64');
    const body = JSON.parse(await podman.runAndFetch('tsko.test/team/server:v2')) as Record<string, string>;
    assert.equal(body.platform, 'linux/amd64');
  });

  it('writes SPDX files to sbomDir, and none with sbom: none', async () => {
    const sbomDir = join(work, 'sboms');
    const result = await publish('./cmd/server', common({ platforms: ['linux/amd64', 'linux/arm64'], sbomDir }));
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(sbomDir)).sort(), [
      'server-index.spdx.json',
      'server-linux-amd64.spdx.json',
      'server-linux-arm64.spdx.json',
    ]);
    const doc = JSON.parse(await readFile(join(sbomDir, 'server-linux-amd64.spdx.json'), 'utf8')) as {
      spdxVersion: string;
      packages: { name: string; versionInfo: string }[];
    };
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.equal(doc.packages[0]!.name, result.platforms[0]!.digest);
    // As ko's: the main module has no versionInfo, and there is no stdlib package.
    assert.ok(doc.packages.some((p) => p.name === 'example.com/app' && p.versionInfo === undefined));
    assert.ok(!doc.packages.some((p) => p.name === 'stdlib'));
    const none = join(work, 'no-sboms');
    await publish('./cmd/server', common({ platforms: ['linux/amd64'], sbom: 'none', sbomDir: none }));
    await assert.rejects(readdir(none), /ENOENT/);
  });

  it('loads into a Docker Engine API daemon (podman system service) as ko.local does', async () => {
    const service = await podman.startService();
    try {
      const result = await publish(
        './cmd/server',
        common({
          repo: 'ko.local',
          platforms: ['linux/amd64', 'linux/arm64'],
          tags: ['daemon'],
          push: true,
          sinks: [{ type: 'daemon', socket: service.socket }],
        }),
      );
      // Named by the linux/amd64 image's digest, not the index's (ko's publish/daemon.go).
      assert.equal(result.ref, `ko.local/server:${result.platforms[0]!.digest.slice('sha256:'.length)}`);
      assert.notEqual(result.platforms[0]!.digest, result.digest);
      assert.equal(JSON.parse(await podman.runAndFetch('ko.local/server:daemon')).version, 'sink');
      const body = JSON.parse(await podman.runAndFetch(result.ref)) as Record<string, string>;
      assert.equal(body.platform, 'linux/amd64', 'the daemon got the child for its own platform');
      assert.equal(body.version, 'sink');
    } finally {
      await service.stop();
    }
  });
});
