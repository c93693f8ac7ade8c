/**
 * Build-level cases ported from ko's pkg/build/gobuild_test.go (TestCreateTemplateData,
 * TestGoBuild_Defaults, TestGoBuild_ConfigOverrideDefaults, TestGoBuild_CLILdflagsOverrideConfig,
 * TestBuildConfig "disable optimizations", TestBuildEnv, linux_capabilities in tarBinary) and
 * pkg/commands/resolver.go's platform defaults, with the real Go toolchain: the built binary
 * is taken out of the image layer and run (linux/amd64), or read (other platforms).
 *
 * Not ported: TestGoBuildQualifyImport / IsSupportedRef (import path resolution, covered by
 * publish.test.ts), TestGoBuildWithKOCACHE (tsko's cache is content-addressed, no KOCACHE),
 * TestDebugger (ko's --debug bundles Delve, downloaded at build time: not possible offline
 * here), kodata and image-structure cases (another branch of issue 10).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build, writeOciLayout, type BuildResult, type PublishOptions } from '@tsko/core';
import { ImageIndex, type Image } from '@tsko/registry';
import { runOk } from '@tsko/test-rig';
import { baseImage, testEnvironment } from '../helpers.js';

const PRINTER = fileURLToPath(new URL('./fixtures/printer', import.meta.url));

describe('ko pkg/build/gobuild_test.go: build settings reach go build (real Go)', () => {
  let work: string;
  let app: string;
  let indexBase: string;
  const git = (...args: string[]) =>
    runOk('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: app });
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-ko-gobuild-'));
    app = join(work, 'printer');
    await cp(PRINTER, app, { recursive: true });
    await git('init', '-q', '-b', 'main');
    await git('add', '.');
    await git('commit', '-qm', 'fixture');
    await git('tag', 'v0.0.1');
    indexBase = join(work, 'index-base');
    const platforms = [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
      { os: 'windows', architecture: 'amd64' },
    ];
    await writeOciLayout(
      indexBase,
      ImageIndex.create(await Promise.all(platforms.map(async (p) => ({ image: await baseImage(p) })))),
      'v1',
    );
  });
  after(() => rm(work, { recursive: true, force: true }));

  /** Writes .ko.yaml and commits it, so the tree stays clean for .Git.TreeState. */
  const koYaml = async (text: string) => {
    await writeFile(join(app, '.ko.yaml'), text);
    await git('add', '.ko.yaml');
    await git('commit', '-qm', 'config', '--allow-empty');
  };
  const env = (extra: NodeJS.ProcessEnv = {}) => testEnvironment({ GOFLAGS: '-mod=mod -buildvcs=false', ...extra });
  const opts = (extra: PublishOptions = {}) => ({
    dir: app,
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    cacheDir: join(work, 'cache'),
    environment: env(),
    ...extra,
  });

  let unpacked = 0;
  /** Extracts the binary layer with GNU tar (an independent reader) and returns its folder. */
  const unpack = async (image: Image): Promise<string> => {
    const dir = join(work, `unpacked-${++unpacked}`);
    await mkdir(dir);
    const layerFile = `${dir}.tar.gz`;
    await pipeline(await image.layers[image.layers.length - 1]!.open(), createWriteStream(layerFile));
    await runOk('tar', ['-xzf', layerFile, '-C', dir]);
    return dir;
  };
  const printed = async (result: BuildResult): Promise<Record<string, string>> => {
    const dir = await unpack(result.platforms[0]!.image);
    return JSON.parse(await runOk(join(dir, 'ko-app', 'printer'), [])) as Record<string, string>;
  };

  it('TestCreateTemplateData: git facts, SOURCE_DATE_EPOCH as .Date/.Timestamp, the build env in .Env, the target in .GoEnv', async () => {
    await koYaml(
      [
        'defaultEnv: FOO=bar',
        'defaultLdflags:',
        '- -X main.a={{.Env.FOO}}|{{.Git.Tag}}|{{.Git.Branch}}|{{.Git.TreeState}}|{{len .Git.FullCommit}}',
        '- -X main.b={{.Date}}|{{.Timestamp}}',
        '- -X main.c={{.GoEnv.GOOS}}/{{.GoEnv.GOARCH}}|{{.Env.GOARCH}}|{{.Env.CGO_ENABLED}}|{{.Env.LDFLAGS}}',
        '- "-X main.d={{if .Git.IsDirty}}dirty{{else}}clean{{end}}  {{- /* trim markers and comments */ -}}"',
        '',
      ].join('\n'),
    );
    // 2012-11-01T22:08:00Z, the creation time of ko's test.
    const result = await build('.', opts({ environment: env({ SOURCE_DATE_EPOCH: '1351807680' }) }));
    assert.deepEqual(await printed(result), {
      a: 'bar|v0.0.1|main|clean|40',
      b: '2012-11-01T22:08:00Z|1351807680',
      c: 'linux/amd64|amd64|0|',
      d: 'clean',
    });
  });

  it('templates see the target platform: .GoEnv.GOARCH and .Env.GOARCH are arm64 in the arm64 binary', async () => {
    await koYaml('defaultLdflags: ["-X main.c=marker-{{.GoEnv.GOARCH}}-{{.Env.GOARCH}}-{{.Env.GOOS}}-end"]\n');
    const result = await build('.', opts({ platforms: ['linux/arm64'] }));
    const binary = await readFile(join(await unpack(result.platforms[0]!.image), 'ko-app', 'printer'));
    assert.ok(binary.includes('marker-arm64-arm64-linux-end'), 'the -X value is in the arm64 binary');
    assert.ok(!binary.includes('marker-amd64'), "the host's GOARCH is not");
  });

  it('TestGoBuild_ConfigOverrideDefaults and CLILdflagsOverrideConfig: builds[] replaces the defaults field by field; code ldflags replace both', async () => {
    await koYaml(
      [
        'defaultEnv: [FOO=foo, BAR=bar]',
        'defaultLdflags: ["-X main.b=from-default"]',
        'builds:',
        '- main: .',
        '  env: FOO=baz',
        '  ldflags: -X main.a={{.Env.FOO}}-{{index .Env "BAR"}}',
        '',
      ].join('\n'),
    );
    assert.deepEqual(await printed(await build('.', opts())), { a: 'baz-', b: 'unset', c: 'unset', d: 'unset' });
    assert.deepEqual(await printed(await build('.', opts({ ldflags: ['-X=main.a=cli'] }))), {
      a: 'cli',
      b: 'unset',
      c: 'unset',
      d: 'unset',
    });
  });

  it('TestGoBuild_Defaults: defaultEnv, defaultFlags and defaultLdflags apply to a builds[] entry that sets none', async () => {
    await koYaml(
      'defaultEnv: [FOO=foo]\ndefaultFlags: -tags netgo\ndefaultLdflags: ["-X main.a={{.Env.FOO}}"]\nbuilds:\n- id: empty\n  main: .\n',
    );
    const result = await build('.', opts());
    assert.equal((await printed(result)).a, 'foo');
    assert.match(result.platforms[0]!.buildInfo, /\tbuild\t-tags=netgo\n/);
  });

  it('TestBuildConfig "disable optimizations": disableOptimizations adds -gcflags all=-N -l and leaves ldflags alone', async () => {
    await koYaml('defaultLdflags: ["-X main.a=kept"]\n');
    const result = await build('.', opts({ disableOptimizations: true }));
    assert.match(result.platforms[0]!.buildInfo, /\tbuild\t-gcflags="all=-N -l"\n/);
    assert.equal((await printed(result)).a, 'kept');
  });

  it("TestBuildEnv: the caller's CGO_ENABLED=1 is respected; .ko.yaml env overrides it", async () => {
    await koYaml('defaultBaseImage: scratch\n');
    const cgo = await build('.', opts({ environment: env({ CGO_ENABLED: '1' }) }));
    assert.match(cgo.platforms[0]!.buildInfo, /\tbuild\tCGO_ENABLED=1\n/);
    await koYaml('defaultEnv: [CGO_ENABLED=0]\n');
    const off = await build('.', opts({ environment: env({ CGO_ENABLED: '1' }) }));
    assert.match(off.platforms[0]!.buildInfo, /\tbuild\tCGO_ENABLED=0\n/);
  });

  it('resolver.go: with no platforms asked for, GOOS/GOARCH/GOARM from the environment choose linux/arm/v6', async () => {
    await koYaml('defaultBaseImage: scratch\n');
    const result = await build(
      '.',
      opts({ platforms: undefined, environment: env({ GOOS: 'linux', GOARCH: 'arm', GOARM: '6' }) }),
    );
    assert.deepEqual(
      result.platforms.map((p) => p.platform),
      [{ os: 'linux', architecture: 'arm', variant: 'v6' }],
    );
    assert.match(result.platforms[0]!.buildInfo, /\tbuild\tGOARM=6\n/);
  });

  it('platformMatcher: an OS-only spec (`linux`) builds every Linux image of the base index', async () => {
    await koYaml('defaultPlatforms: linux\n');
    const result = await build('.', opts({ baseImage: `oci-layout://${indexBase}:v1`, platforms: undefined }));
    assert.deepEqual(
      result.platforms.map((p) => `${p.platform.os}/${p.platform.architecture}`),
      ['linux/amd64', 'linux/arm64'],
    );
    assert.equal(result.image.kind, 'index');
  });

  it('tarBinary: builds[].linux_capabilities become the security.capability PAX record ko writes', async () => {
    await koYaml('builds:\n- main: .\n  linux_capabilities: net_bind_service=pie\n');
    const result = await build('.', opts());
    const layerFile = join(work, 'caps-layer.tar.gz');
    const image = result.platforms[0]!.image;
    await pipeline(await image.layers[image.layers.length - 1]!.open(), createWriteStream(layerFile));
    // Python's tarfile reads PAX records on its own (an independent reader).
    const script =
      'import base64,sys,tarfile\nt=tarfile.open(sys.argv[1])\nfor m in t.getmembers():\n  v=m.pax_headers.get("SCHILY.xattr.security.capability")\n  print(m.name, base64.b64encode(v.encode("utf-8","surrogateescape")).decode() if v is not None else "-")\n';
    const listing = await runOk('python3', ['-c', script, layerFile]);
    // The bytes are those of ko's caps_dd_test.go row for net_bind_service (p, i, e).
    assert.equal(listing.trim(), 'ko-app -\n/ko-app/printer AQAAAgAEAAAABAAAAAAAAAAAAAA=');
    const plain = await build('.', opts({ platforms: ['linux/arm64'] }));
    assert.notEqual(plain.platforms[0]!.image.layers.at(-1)!.digest, image.layers.at(-1)!.digest);
  });
});
