import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { publish } from '@tsko/core';
import { appendLayers, emptyImage, ImageIndex, pushImage, withContainerConfig, type Platform } from '@tsko/registry';
import {
  ensureKo,
  goTestEnvironment,
  readTarLayer,
  run,
  skopeoConfig,
  skopeoRaw,
  startRegistry,
  tarLayer,
  type TestRegistry,
} from '@tsko/test-rig';
import { jsonDiffPaths } from './json-diff.js';

const PEER = fileURLToPath(new URL('./fixtures/peer', import.meta.url));

interface Index {
  manifests: { digest: string; platform: Platform }[];
}
interface Manifest {
  layers: { digest: string }[];
}
interface Config {
  config: { Entrypoint: string[]; Env: string[] };
  rootfs: { diff_ids: string[] };
}

/**
 * A Windows base as Microsoft publishes them, in miniature: an index of Windows images told
 * apart by os.version (two builds of Server 2019 and one of 2022), each layer holding the
 * filesystem under `Files/` and the registry under `Hives/`, PATH in Windows form.
 */
async function pushWindowsBase(host: string): Promise<string> {
  const images = [];
  for (const version of ['10.0.17763.1234', '10.0.17763.5678', '10.0.20348.500']) {
    const platform: Platform = { os: 'windows', architecture: 'amd64', 'os.version': version };
    const layer = await tarLayer({
      'Files/Windows/System32/tsko-base.txt': `windows ${version}\n`,
      'Hives/DefaultUser_Delta': '',
    });
    const image = appendLayers(emptyImage(platform), [
      { layer, history: { created_by: 'windows base', created: '2026-01-01T00:00:00Z' } },
    ]);
    images.push({
      image: withContainerConfig(image, (c) => ({ ...c, Env: ['PATH=C:\\Windows\\system32;C:\\Windows'] })),
    });
  }
  const ref = `${host}/base/windows:ltsc`;
  await pushImage(ImageIndex.create(images), ref, { env: { HOME: '/nonexistent' } });
  return ref;
}

/**
 * ko (pkg/build/gobuild.go tarBinary, tarKoData, buildOne; platformMatcher in its tests) and
 * tsko build the same program on the same Windows base: the same platform chosen by the
 * relaxed os.version rule, equal layers, the same `C:\ko-app\…` entrypoint and KO_DATA_PATH.
 */
describe('ko and tsko side by side on a Windows base', () => {
  let registry: TestRegistry;
  let ko: string;
  let base: string;
  before(async () => {
    registry = await startRegistry('plain');
    [ko, base] = await Promise.all([ensureKo(), pushWindowsBase(registry.host)]);
  });
  after(async () => {
    await registry?.stop();
  });

  it('windows/amd64:10.0.17763 picks both 2019 builds, not 2022; layers equal ko’s, paths in Windows form', async () => {
    const epochs = { SOURCE_DATE_EPOCH: '1700000000', KO_DATA_DATE_EPOCH: '1700000100' };
    const platform = 'windows/amd64:10.0.17763';
    const koRun = await run(ko, ['build', '--sbom=none', `--platform=${platform}`, './cmd/server'], {
      cwd: PEER,
      env: goTestEnvironment({ ...epochs, KO_DOCKER_REPO: `${registry.host}/ko`, KO_DEFAULTBASEIMAGE: base }),
      timeoutMs: 600_000,
    });
    assert.equal(koRun.code, 0, koRun.stderr);
    const koRef = koRun.stdout.trim();
    const ours = await publish('./cmd/server', {
      dir: PEER,
      repo: `${registry.host}/tsko`,
      baseImage: base,
      platforms: [platform],
      sbom: 'none',
      environment: goTestEnvironment(epochs),
    });

    const raw = async <T>(ref: string) => JSON.parse((await skopeoRaw(registry, ref)).toString()) as T;
    const [koIndex, tsIndex] = [await raw<Index>(koRef), await raw<Index>(ours.ref)];
    assert.deepEqual(
      tsIndex.manifests.map((m) => m.platform),
      [
        { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1234' },
        { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.5678' },
      ],
    );
    assert.deepEqual(
      tsIndex.manifests.map((m) => m.platform),
      koIndex.manifests.map((m) => m.platform),
    );

    const child = (ref: string, index: Index) => `${ref.split('@')[0]}@${index.manifests[0]!.digest}`;
    const [kc, tc] = [
      (await skopeoConfig(registry, child(koRef, koIndex))) as unknown as Config,
      (await skopeoConfig(registry, child(ours.ref, tsIndex))) as unknown as Config,
    ];
    assert.deepEqual(tc.rootfs.diff_ids, kc.rootfs.diff_ids, 'base, kodata and binary layers hold the same bytes');
    assert.deepEqual(tc.config.Entrypoint, ['C:\\ko-app\\server']);
    assert.deepEqual(tc.config.Entrypoint, kc.config.Entrypoint);
    // README, deliberate differences: ko appends `:C:\ko-app`, which breaks a Windows PATH.
    assert.deepEqual(tc.config.Env, [
      'PATH=C:\\Windows\\system32;C:\\Windows;C:\\ko-app',
      'KO_DATA_PATH=C:\\var\\run\\ko',
    ]);
    assert.deepEqual(kc.config.Env, [
      'PATH=C:\\Windows\\system32;C:\\Windows:C:\\ko-app',
      'KO_DATA_PATH=C:\\var\\run\\ko',
    ]);
    assert.deepEqual(jsonDiffPaths(kc, tc), [
      'author',
      'config.Env[0]',
      'history[1].author',
      'history[1].created_by',
      'history[2].author',
      'history[2].created_by',
    ]);

    // What those equal layers hold, read back from the registry.
    const manifest = await raw<Manifest>(child(ours.ref, tsIndex));
    const blob = async (i: number) => {
      const repository = ours.ref.slice(registry.host.length + 1).split('@')[0];
      const res = await fetch(`http://${registry.host}/v2/${repository}/blobs/${manifest.layers[i]!.digest}`);
      return readTarLayer(Readable.from(Buffer.from(await res.arrayBuffer())));
    };
    const sid = { 'MSWINDOWS.rawsd': 'AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==' };
    const kodata = await blob(1);
    assert.deepEqual(
      kodata.map((e) => [e.name, e.type, e.pax]),
      [
        ['Hives', 'directory', undefined],
        ['Files', 'directory', undefined],
        ['Files/var', 'directory', undefined],
        ['Files/var/run', 'directory', undefined],
        ['Files/var/run/ko', 'directory', undefined],
        ['Files/var/run/ko/greeting.txt', 'file', sid],
        ['Files/var/run/ko/nested', 'directory', undefined],
        ['Files/var/run/ko/nested/deep.txt', 'file', sid],
      ],
    );
    const binary = await blob(2);
    assert.deepEqual(
      binary.map((e) => [e.name, e.type, e.mode, e.pax]),
      [
        ['Hives', 'directory', 0o555, undefined],
        ['Files', 'directory', 0o555, undefined],
        ['Files/ko-app', 'directory', 0o555, undefined],
        ['Files/ko-app/server', 'file', 0o555, sid],
      ],
    );
    assert.equal(binary[3]!.body.slice(0, 2), 'MZ', 'a Windows executable');
  });
});
