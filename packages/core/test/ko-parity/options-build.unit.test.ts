/**
 * Cases ported from ko's pkg/commands/options/build_test.go (and the viper/mapstructure rules
 * its LoadConfig relies on): how a `.ko.yaml` is read. ko's testdata configs are reproduced
 * below as inputs.
 *
 * Not ported, because they test something a library does not have:
 * - TestLdflagsFlag: cobra parsing of repeated `--ldflags`; tsko takes `ldflags: string[]`.
 * - TestAddBuildOptionsSetsDefaultsForNonFlagOptions: cobra flag defaults (tsko always builds
 *   with -trimpath).
 * - TestBuildConfigWithWorkingDirectoryAndDirAndMain, TestCreateBuildConfigs: builds[].dir
 *   sub-module resolution, covered by the multi-module work (issue 10, another branch).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTskoError } from '@tsko/registry';
import { loadKoYaml, parseKoYaml } from '../../src/config/ko-yaml.js';
import { resolveSettings } from '../../src/config/settings.js';
import { effectiveBuild, expandBuild } from '../../src/config/build-configs.js';
import type { CoreEvent } from '../../src/events.js';

// ko's pkg/commands/options/testdata, as inputs.
const TESTDATA: Record<string, string> = {
  'config/.ko.yaml':
    'defaultBaseImage: alpine\ndefaultPlatforms: all\ndefaultEnv: FOO=bar\ndefaultFlags:\n  - -tags\n  - netgo\ndefaultLdflags:\n  - -s -w\n',
  'config/my-ko.yaml': 'defaultBaseImage: wow\n',
  'multiple-platforms/.ko.yaml': 'defaultBaseImage: alpine\ndefaultPlatforms:\n- linux/arm64\n- linux/amd64\n',
  'paths/.ko.yaml':
    'builds:\n- id: app-with-main-package-in-different-directory-to-go-mod-and-ko-yaml\n  dir: ./app\n  main: ./cmd/foo\n',
};

describe('ko pkg/commands/options/build_test.go: LoadConfig', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsko-ko-testdata-'));
    for (const [path, text] of Object.entries(TESTDATA)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    }
    // bad-config/.ko.yaml is a folder in ko's testdata (it holds a .gitignore).
    await mkdir(join(root, 'bad-config', '.ko.yaml'), { recursive: true });
    await writeFile(join(root, 'bad-config', '.ko.yaml', '.gitignore'), '');
  });
  after(() => rm(root, { recursive: true, force: true }));

  const load = (dir: string, env: NodeJS.ProcessEnv = {}) => loadKoYaml(join(root, dir), env);

  it("every .ko.yaml of ko's testdata loads, with no unknown keys", async () => {
    for (const path of Object.keys(TESTDATA)) {
      const loaded = await loadKoYaml(root, { KO_CONFIG_PATH: join(root, path) });
      assert.deepEqual(loaded.unknownKeys, [], path);
    }
  });

  it('TestDefaultBaseImage: defaultBaseImage is alpine', async () => {
    assert.equal((await load('config')).config.defaultBaseImage, 'alpine');
  });

  it('TestDefaultPlatformsAll: `all` and a two-entry list', async () => {
    assert.deepEqual((await load('config')).config.defaultPlatforms, ['all']);
    assert.deepEqual((await load('multiple-platforms')).config.defaultPlatforms, ['linux/arm64', 'linux/amd64']);
  });

  it('TestDefaultEnv: the string FOO=bar is a one-entry list', async () => {
    assert.deepEqual((await load('config')).config.defaultEnv, ['FOO=bar']);
  });

  it('TestDefaultFlags and TestDefaultLdFlags: list entries are kept whole', async () => {
    const { config } = await load('config');
    assert.deepEqual(config.defaultFlags, ['-tags', 'netgo']);
    assert.deepEqual(config.defaultLdflags, ['-s -w']);
  });

  it('TestOverrideConfigPath: a folder, a file, a folder without .ko.yaml, a .ko.yaml that is a folder', async () => {
    assert.equal((await loadKoYaml(root, { KO_CONFIG_PATH: join(root, 'config') })).config.defaultBaseImage, 'alpine');
    assert.equal(
      (await loadKoYaml(root, { KO_CONFIG_PATH: join(root, 'config', 'my-ko.yaml') })).config.defaultBaseImage,
      'wow',
    );
    for (const dir of ['.', 'bad-config']) {
      await assert.rejects(
        loadKoYaml(root, { KO_CONFIG_PATH: join(root, dir) }),
        (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && e.message.includes(join(root, dir)),
      );
    }
  });

  it('finds .ko.json before .ko.yaml, as viper searches for the config name .ko', async () => {
    await mkdir(join(root, 'json'), { recursive: true });
    await writeFile(join(root, 'json', '.ko.json'), '{"defaultBaseImage": "from-json", "defaultFlags": "-v -v"}');
    await writeFile(join(root, 'json', '.ko.yaml'), 'defaultBaseImage: from-yaml\n');
    const { config, path } = await load('json');
    assert.equal(path, join(root, 'json', '.ko.json'));
    assert.deepEqual(config, { defaultBaseImage: 'from-json', defaultFlags: ['-v', '-v'] });
  });

  it('reads builds[] of the paths testdata (id, dir, main)', async () => {
    const { config } = await load('paths');
    assert.deepEqual(config.builds, [
      { id: 'app-with-main-package-in-different-directory-to-go-mod-and-ko-yaml', dir: './app', main: './cmd/foo' },
    ]);
  });

  it('defaultPlatforms: all selects every platform; KO_DEFAULTPLATFORMS with commas is split as ko splits it', async () => {
    const settings = (dir: string, env: NodeJS.ProcessEnv) => resolveSettings({ dir: join(root, dir) }, env);
    assert.equal((await settings('config', {})).platforms, 'all');
    assert.deepEqual((await settings('config', { KO_DEFAULTPLATFORMS: 'linux/arm64,linux/amd64' })).platforms, [
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'amd64' },
    ]);
  });
});

describe("ko's viper and mapstructure rules for .ko.yaml values", () => {
  const read = (text: string) => parseKoYaml(text, '/r/.ko.yaml');

  it('splits top-level string shorthands on white space (viper GetStringSlice)', () => {
    const { config } = read(
      'defaultFlags: -v -v\ndefaultLdflags: -s -w\ndefaultEnv: A=1 B=2\ndefaultPlatforms: linux/amd64 linux/arm64\n',
    );
    assert.deepEqual(config.defaultFlags, ['-v', '-v']);
    assert.deepEqual(config.defaultLdflags, ['-s', '-w']);
    assert.deepEqual(config.defaultEnv, ['A=1', 'B=2']);
    assert.deepEqual(config.defaultPlatforms, ['linux/amd64', 'linux/arm64']);
  });

  it('ko\'s test/build-configs/.ko.yaml and caps.ko.yaml load ("build.Config parser must handle shorthand syntax")', () => {
    const { config } = read(
      'builds:\n- id: foo-app\n  dir: ./foo\n  main: ./cmd\n  flags: -v -v # shorthand\n- id: bar-app\n  dir: ./bar\n  main: ./cmd\n- id: toolexec\n  dir: ./toolexec\n  main: ./cmd\n  flags:\n  - -toolexec\n  - go\n- id: caps-app\n  dir: ./caps\n  main: ./cmd\n',
    );
    assert.deepEqual(
      config.builds?.map((b) => b.flags),
      [['-v', '-v'], undefined, ['-toolexec', 'go'], undefined],
    );
    // ko refuses -toolexec when it builds; so does tsko (build-programs.test.ts).
    const caps = read(
      'builds:\n- id: caps-app-with-caps\n  dir: ./caps\n  main: ./cmd\n  linux_capabilities: net_bind_service chown\n',
    ).config;
    assert.deepEqual(caps.builds?.[0]?.linuxCapabilities, ['net_bind_service', 'chown']);
  });

  it("ko's own .ko.yaml loads: its ldflags are the template {{ .Env.LDFLAGS }}", () => {
    const { config, unknownKeys } = read(
      'baseImageOverrides:\n  github.com/google/ko: golang:latest\n\nbuilds:\n  - id: ko\n    ldflags:\n      - "{{ .Env.LDFLAGS }}"\n',
    );
    assert.deepEqual(unknownKeys, []);
    assert.deepEqual(config.builds, [{ id: 'ko', ldflags: ['{{ .Env.LDFLAGS }}'] }]);
  });

  it('builds[]: flags and linux_capabilities split on white space, ldflags and env stay whole', () => {
    const { config } = read(
      'builds:\n- flags: -v -tags netgo\n  ldflags: -s -w\n  env: GOFLAGS=-mod=mod -v\n  linux_capabilities: net_bind_service cap_chown\n',
    );
    assert.deepEqual(config.builds, [
      {
        flags: ['-v', '-tags', 'netgo'],
        ldflags: ['-s -w'],
        env: ['GOFLAGS=-mod=mod -v'],
        linuxCapabilities: ['net_bind_service', 'cap_chown'],
      },
    ]);
  });

  it('matches keys case-insensitively, as viper and mapstructure do', () => {
    const { config, unknownKeys } = read(
      'DefaultBaseImage: a\ndefaultldflags: [-s]\nbuilds:\n- ID: x\n  Main: ./cmd\n  LDFLAGS: [-w]\n',
    );
    assert.deepEqual(unknownKeys, []);
    assert.equal(config.defaultBaseImage, 'a');
    assert.deepEqual(config.defaultLdflags, ['-s']);
    assert.deepEqual(config.builds, [{ id: 'x', main: './cmd', ldflags: ['-w'] }]);
  });

  it('casts scalars to strings: numbers as written, booleans true/false on top, 1/0 in builds[]', () => {
    const { config } = read('defaultFlags: [-p, 4, true]\nbuilds:\n- id: 7\n  flags: [-p, 2, false]\n');
    assert.deepEqual(config.defaultFlags, ['-p', '4', 'true']);
    assert.deepEqual(config.builds, [{ id: '7', flags: ['-p', '2', '0'] }]);
  });

  it('lifts a single builds map into a list, and treats empty lists as unset', () => {
    assert.deepEqual(read('builds: {id: one}\n').config.builds, [{ id: 'one' }]);
    assert.deepEqual(read('defaultFlags: []\nbuilds:\n- ldflags: []\n').config, { builds: [{}] });
  });

  it('reports unknown keys by path, at any level, and still reads the rest', () => {
    const { config, unknownKeys } = read(
      'defaultBaseImages: typo\nversion: 2\nbuilds:\n- id: a\n  goos: [linux]\n  binary: x\n',
    );
    assert.deepEqual(unknownKeys, ['defaultBaseImages', 'version', 'builds[0].goos', 'builds[0].binary']);
    assert.deepEqual(config.builds, [{ id: 'a' }]);
  });

  it('refuses what ko cannot use either, naming file and field', () => {
    for (const [text, field] of [
      ['builds: 3\n', 'builds[0]'],
      ['defaultEnv: [NOEQUALS]\n', 'defaultEnv[0]'],
      ['builds:\n- env: [X]\n', 'builds[0].env[0]'],
      ['defaultFlags: {a: b}\n', 'defaultFlags'],
      ['builds:\n- flags: [[-v]]\n', 'builds[0].flags[0]'],
    ] as const) {
      assert.throws(
        () => read(text),
        (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && e.message.startsWith(`/r/.ko.yaml: ${field}`),
        text,
      );
    }
  });

  it('emits config:unknown-key events, and refuses unknown keys under strictConfig', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-unknown-'));
    try {
      await writeFile(
        join(dir, '.ko.yaml'),
        'defaultBaseImage: scratch\nsbom: none\nbuilds:\n- id: a\n  goarch: [arm]\n',
      );
      const events: CoreEvent[] = [];
      await resolveSettings({ dir }, {}, (e) => events.push(e));
      const file = join(dir, '.ko.yaml');
      assert.deepEqual(events, [
        { type: 'config:unknown-key', file, key: 'sbom' },
        { type: 'config:unknown-key', file, key: 'builds[0].goarch' },
      ]);
      await assert.rejects(
        resolveSettings({ dir, strictConfig: true }, {}),
        (e: unknown) =>
          isTskoError(e, 'TSKO_CONFIG_INVALID') &&
          e.message.includes(file) &&
          e.message.includes('sbom, builds[0].goarch'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("KO_DEFAULTENV, KO_DEFAULTFLAGS and KO_DEFAULTLDFLAGS replace the file's values (viper AutomaticEnv)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-koenv-'));
    try {
      await writeFile(join(dir, '.ko.yaml'), 'defaultEnv: [A=file]\ndefaultFlags: [-v]\ndefaultLdflags: [-s]\n');
      const s = await resolveSettings(
        { dir },
        { KO_DEFAULTENV: 'A=env B=2', KO_DEFAULTFLAGS: '-tags netgo', KO_DEFAULTLDFLAGS: '-w' },
      );
      assert.deepEqual(s.defaults, { env: ['A=env', 'B=2'], flags: ['-tags', 'netgo'], ldflags: ['-w'] });
      // A refused setting is named by the variable it came from, not by the file it replaced.
      const hostile = await resolveSettings({ dir }, { KO_DEFAULTFLAGS: '-toolexec=/bin/true' });
      assert.throws(
        () => expandBuild(hostile, effectiveBuild(hostile, undefined), {}),
        (e: unknown) => isTskoError(e, 'TSKO_BUILD_PROGRAM_REFUSED') && e.message.startsWith('KO_DEFAULTFLAGS[0]: '),
      );
      await assert.rejects(
        resolveSettings({ dir }, { KO_DEFAULTENV: 'NOEQUALS' }),
        (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && e.message.includes('KO_DEFAULTENV[0]'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("KO_BASEIMAGEOVERRIDES (viper reads it as JSON) replaces the file's baseImageOverrides; code options merge over it", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-koenv-'));
    try {
      await writeFile(join(dir, '.ko.yaml'), 'baseImageOverrides:\n  example.com/a: from-file\n');
      const base = { dir };
      const s = await resolveSettings(
        { ...base, baseImageOverrides: { 'example.com/c': 'from-code' } },
        { KO_BASEIMAGEOVERRIDES: '{"example.com/b":"from-env"}' },
      );
      assert.deepEqual(s.baseOverrides, { 'example.com/b': 'from-env', 'example.com/c': 'from-code' });
      await assert.rejects(
        resolveSettings(base, { KO_BASEIMAGEOVERRIDES: 'example.com/b=x' }),
        (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && e.message.includes('KO_BASEIMAGEOVERRIDES'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
