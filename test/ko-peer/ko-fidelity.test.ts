import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { publish } from '@tsko/core';
import { resolveManifests } from '@tsko/resolve';
import {
  ensureKo,
  goTestEnvironment,
  pushStaticBase,
  run,
  skopeoConfig,
  skopeoRaw,
  startRegistry,
  type TestRegistry,
} from '@tsko/test-rig';
import { jsonDiffPaths } from './json-diff.js';

const PEER = fileURLToPath(new URL('./fixtures/peer', import.meta.url));
const MIXED_CASE = fileURLToPath(new URL('../go-projects/fixtures/mixedcase', import.meta.url));
const DEPS = fileURLToPath(new URL('../go-projects/fixtures/deps', import.meta.url));
const CAPS = fileURLToPath(new URL('../../packages/core/test/ko-parity/fixtures/caps', import.meta.url));

interface Manifest {
  mediaType: string;
  config: { digest: string };
  layers: { digest: string; size: number; mediaType: string }[];
  annotations?: Record<string, string>;
}
interface Index {
  manifests: { digest: string; platform: { architecture: string } }[];
}
interface Config {
  rootfs: { diff_ids: string[] };
  history: Record<string, unknown>[];
}

/**
 * ko itself (go-installed at a pinned release by the rig) and tsko build the same programs on
 * the same base, with the same Go, flags, .ko.yaml, SOURCE_DATE_EPOCH and KO_DATA_DATE_EPOCH.
 * What may differ is exactly what the README lists as deliberate; everything else is equal.
 */
describe('ko and tsko side by side', () => {
  let registry: TestRegistry;
  let ko: string;
  let base: string;
  before(async () => {
    registry = await startRegistry('plain');
    [ko, base] = await Promise.all([ensureKo(), pushStaticBase(registry.host)]);
  });
  after(async () => {
    await registry?.stop();
  });

  const epochs = { SOURCE_DATE_EPOCH: '1700000000', KO_DATA_DATE_EPOCH: '1700000100' };
  const koEnv = () =>
    goTestEnvironment({ ...epochs, KO_DOCKER_REPO: `${registry.host}/ko`, KO_DEFAULTBASEIMAGE: base });
  const tskoOptions = (dir: string) => ({
    dir,
    repo: `${registry.host}/tsko`,
    baseImage: base,
    environment: goTestEnvironment(epochs),
  });
  async function koRun(dir: string, args: string[]): Promise<string> {
    const res = await run(ko, args, { cwd: dir, env: koEnv(), timeoutMs: 600_000 });
    assert.equal(res.code, 0, `ko ${args.join(' ')} failed:\n${res.stderr}`);
    return res.stdout;
  }
  /** The reference without the registry's repo prefix each tool was given. */
  const local = (ref: string, tool: 'ko' | 'tsko') => ref.trim().replace(`${registry.host}/${tool}/`, '');
  const raw = async <T>(ref: string) => JSON.parse((await skopeoRaw(registry, ref)).toString()) as T;

  it('a two-platform build: same printed name, equal binary and kodata layers, configs and manifests equal but for the listed fields', async () => {
    const platforms = ['linux/amd64', 'linux/arm64'];
    const koRef = (
      await koRun(PEER, ['build', '--sbom=none', `--platform=${platforms.join(',')}`, './cmd/server'])
    ).trim();
    const ours = await publish('./cmd/server', { ...tskoOptions(PEER), platforms, sbom: 'none' });
    const [koName, koDigest] = local(koRef, 'ko').split('@');
    const [tsName, tsDigest] = local(ours.ref, 'tsko').split('@');
    assert.equal(tsName, koName, 'default name (md5 naming) and the printed reference form');
    assert.match(koDigest!, /^sha256:[0-9a-f]{64}$/);
    assert.match(tsDigest!, /^sha256:[0-9a-f]{64}$/);

    const koIndex = await raw<Index & { annotations: Record<string, string> }>(koRef);
    const tsIndex = await raw<Index & { annotations: Record<string, string> }>(ours.ref);
    // README "Deliberate differences from ko": child digests follow from the layers' gzip
    // bytes; ko (go-containerregistry) copies each child's config media type into an
    // artifactType; ko's base.digest is that of its in-memory copy of the base index, ours is
    // the digest of the index as the registry serves it.
    assert.deepEqual(jsonDiffPaths(koIndex, tsIndex), [
      'annotations.org.opencontainers.image.base.digest',
      'manifests[0].artifactType',
      'manifests[0].digest',
      'manifests[1].artifactType',
      'manifests[1].digest',
    ]);
    const baseDigest = `sha256:${createHash('sha256')
      .update(await skopeoRaw(registry, base))
      .digest('hex')}`;
    assert.equal(tsIndex.annotations['org.opencontainers.image.base.digest'], baseDigest);

    for (let i = 0; i < koIndex.manifests.length; i++) {
      const arch = koIndex.manifests[i]!.platform.architecture;
      const koChild = `${registry.host}/ko/${koName}@${koIndex.manifests[i]!.digest}`;
      const tsChild = `${registry.host}/tsko/${tsName}@${tsIndex.manifests[i]!.digest}`;
      const [km, tm] = [await raw<Manifest>(koChild), await raw<Manifest>(tsChild)];
      const [kc, tc] = [
        (await skopeoConfig(registry, koChild)) as unknown as Config,
        (await skopeoConfig(registry, tsChild)) as unknown as Config,
      ];
      assert.equal(tc.rootfs.diff_ids.length, 3);
      assert.deepEqual(
        tc.rootfs.diff_ids,
        kc.rootfs.diff_ids,
        `${arch}: base, kodata and binary layers have equal uncompressed content`,
      );
      // Compressed bytes differ only by compressor (Go's gzip against zlib).
      assert.deepEqual(
        jsonDiffPaths(km, tm),
        ['config.digest', 'config.size', 'layers[1].digest', 'layers[1].size', 'layers[2].digest', 'layers[2].size'],
        arch,
      );
      // The tool's own name, in the config's and history's author and created_by.
      assert.deepEqual(
        jsonDiffPaths(kc, tc),
        ['author', 'history[1].author', 'history[1].created_by', 'history[2].author', 'history[2].created_by'],
        arch,
      );
      assert.equal(tc.history[2]!.created_by, 'tsko build ko://example.com/peer/cmd/server');
      assert.equal(kc.history[2]!.created_by, 'ko build ko://example.com/peer/cmd/server');
    }
  });

  it('a mixed-case import path: the same lower-case repository and binary name', async () => {
    const koRef = (await koRun(MIXED_CASE, ['build', '--sbom=none', '--platform=linux/amd64', '.'])).trim();
    const ours = await publish('.', { ...tskoOptions(MIXED_CASE), platforms: ['linux/amd64'], sbom: 'none' });
    assert.equal(local(ours.ref, 'tsko').split('@')[0], local(koRef, 'ko').split('@')[0]);
    const [kc, tc] = [await skopeoConfig(registry, koRef), await skopeoConfig(registry, ours.ref)] as {
      config: { Entrypoint: string[] };
      rootfs: { diff_ids: string[] };
    }[];
    assert.deepEqual(tc!.config.Entrypoint, ['/ko-app/MixedCase']);
    assert.deepEqual(tc!.config.Entrypoint, kc!.config.Entrypoint);
    assert.deepEqual(tc!.rootfs.diff_ids, kc!.rootfs.diff_ids);
  });

  it('linux_capabilities: the binary layer with its PAX capability record is byte-equal to ko’s', async () => {
    // The caps program of packages/core/test/ko-parity, with ko's caps.ko.yaml as .ko.yaml.
    const dir = await mkdtemp(join(tmpdir(), 'tsko-peer-caps-'));
    try {
      await cp(CAPS, dir, { recursive: true });
      await writeFile(
        join(dir, '.ko.yaml'),
        'builds:\n- id: caps-app-with-caps\n  main: .\n  linux_capabilities: net_bind_service chown\n',
      );
      const koRef = (await koRun(dir, ['build', '--sbom=none', '--platform=linux/amd64', '.'])).trim();
      const ours = await publish('.', { ...tskoOptions(dir), platforms: ['linux/amd64'], sbom: 'none' });
      const [kc, tc] = [await skopeoConfig(registry, koRef), await skopeoConfig(registry, ours.ref)] as {
        rootfs: { diff_ids: string[] };
      }[];
      assert.deepEqual(tc!.rootfs.diff_ids, kc!.rootfs.diff_ids);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tags: the same printed reference for one non-latest tag, and the same tags in the registry', async () => {
    const koRef = (
      await koRun(PEER, ['build', '--sbom=none', '--platform=linux/amd64', '--tags=v1.0.0', './cmd/server'])
    ).trim();
    const ours = await publish('./cmd/server', {
      ...tskoOptions(PEER),
      platforms: ['linux/amd64'],
      sbom: 'none',
      tags: ['v1.0.0'],
    });
    const pattern = (ref: string, tool: 'ko' | 'tsko') => local(ref, tool).replace(/@sha256:[0-9a-f]{64}$/, '@DIGEST');
    assert.equal(pattern(ours.ref, 'tsko'), pattern(koRef, 'ko'));
    assert.match(pattern(ours.ref, 'tsko'), /^server-[0-9a-f]{32}:v1\.0\.0@DIGEST$/);
    const tags = async (tool: string, name: string) =>
      ((await (await fetch(`http://${registry.host}/v2/${tool}/${name}/tags/list`)).json()) as { tags: string[] }).tags
        .filter((t) => !t.startsWith('sha256-'))
        .sort();
    const name = pattern(ours.ref, 'tsko').split(':')[0]!;
    assert.deepEqual(await tags('tsko', name), await tags('ko', name));
  });

  for (const [flag, naming] of [
    ['--bare', 'bare'],
    ['--base-import-paths', 'baseImportPaths'],
    ['--preserve-import-paths', 'preserveImportPaths'],
  ] as const) {
    it(`naming ${naming} (ko ${flag}): the same repository and printed reference form`, async () => {
      const koRef = (
        await koRun(PEER, ['build', '--sbom=none', '--platform=linux/amd64', flag, './cmd/server'])
      ).trim();
      const ours = await publish('./cmd/server', {
        ...tskoOptions(PEER),
        platforms: ['linux/amd64'],
        sbom: 'none',
        naming,
      });
      const shape = (ref: string, tool: 'ko' | 'tsko') =>
        ref.replace(`${registry.host}/${tool}`, 'REPO').replace(/@sha256:[0-9a-f]{64}$/, '@DIGEST');
      assert.equal(shape(ours.ref, 'tsko'), shape(koRef, 'ko'));
      assert.match(shape(ours.ref, 'tsko'), /^REPO(\/server|\/example\.com\/peer\/cmd\/server)?@DIGEST$/);
    });
  }

  for (const [layout, path] of [
    ['workspace', 'example.com/ws/app/cmd/hello'],
    ['submodule', 'example.com/mono/services/svc/cmd/svc'],
    ['deps', '.'],
  ] as const) {
    it(`the ${layout} layout (test/go-projects): same name and equal layers`, async () => {
      const dir = fileURLToPath(new URL(`../go-projects/fixtures/${layout}`, import.meta.url));
      const koRef = (await koRun(dir, ['build', '--sbom=none', '--platform=linux/amd64', path])).trim();
      const ours = await publish(path, { ...tskoOptions(dir), platforms: ['linux/amd64'], sbom: 'none' });
      assert.equal(local(ours.ref, 'tsko').split('@')[0], local(koRef, 'ko').split('@')[0]);
      const [kc, tc] = [await skopeoConfig(registry, koRef), await skopeoConfig(registry, ours.ref)] as {
        rootfs: { diff_ids: string[] };
      }[];
      assert.deepEqual(tc!.rootfs.diff_ids, kc!.rootfs.diff_ids);
    });
  }

  it('the SPDX SBOMs list the same Go modules, versions and checksums', async () => {
    const koRef = (await koRun(DEPS, ['build', '--platform=linux/amd64', '.'])).trim();
    const ours = await publish('.', { ...tskoOptions(DEPS), platforms: ['linux/amd64'], sbomAttachment: 'tag' });
    type Spdx = {
      packages: {
        name: string;
        versionInfo?: string;
        checksums?: { algorithm: string; checksumValue: string }[];
        primaryPackagePurpose?: string;
      }[];
    };
    const sbomOf = async (ref: string): Promise<Spdx> => {
      const [name, digest] = ref.split('@');
      const tagRef = `${name!.replace(/:[^/]*$/, '')}:${digest!.replace(':', '-')}.sbom`;
      const manifest = await raw<Manifest>(tagRef);
      const repository = tagRef.slice(registry.host.length + 1).split(':')[0];
      return (await (
        await fetch(`http://${registry.host}/v2/${repository}/blobs/${manifest.layers[0]!.digest}`)
      ).json()) as Spdx;
    };
    const modules = (doc: Spdx) =>
      doc.packages
        .filter((p) => !p.name.startsWith('sha256:'))
        .map(
          (p) =>
            `${p.name} ${p.versionInfo ?? ''} ${(p.checksums ?? []).map((c) => `${c.algorithm}:${c.checksumValue}`).join(',')}`,
        )
        .sort();
    const [koDoc, tsDoc] = [await sbomOf(koRef), await sbomOf(ours.ref)];
    assert.ok(modules(tsDoc).some((m) => m.startsWith('github.com/google/uuid v1.6.0 SHA256:')));
    assert.ok(
      modules(tsDoc).some((m) => m.startsWith(`${registry.host}/base/static@sha256:`)),
      'the base image, as ko lists it',
    );
    // The same packages, versions and checksums as ko's (internal/sbom/spdx.go): no stdlib
    // package, and the main module without a version.
    assert.deepEqual(modules(tsDoc), modules(koDoc));
  });

  it('ko resolve and resolveManifests give the same YAML for the same inputs', async () => {
    const koYaml = await koRun(PEER, ['resolve', '--sbom=none', '--platform=linux/amd64', '-f', 'config/']);
    const ours = await resolveManifests(
      { files: [join(PEER, 'config')] },
      { ...tskoOptions(PEER), platforms: ['linux/amd64'], sbom: 'none' },
    );
    const neutral = (text: string, tool: 'ko' | 'tsko') =>
      text.replaceAll(`${registry.host}/${tool}/`, 'REPO/').replace(/@sha256:[0-9a-f]{64}/g, '@DIGEST');
    // ko ends every file's output with a separator; tsko does not add an empty last document.
    assert.equal(neutral(ours, 'tsko'), neutral(koYaml, 'ko').replace(/\n---\n$/, ''));
    assert.match(ours, /image: REPO|image: 127/);
  });
});
