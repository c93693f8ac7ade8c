import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, isTskoError, publish, writeOciLayout, type Image } from '@tsko/core';
import { ImageIndex } from '@tsko/registry';
import { runOk, startPodman, type Podman } from '@tsko/test-rig';
import { baseImage, FIXTURE, testEnvironment } from './helpers.js';

describe(".ko.yaml, environment variables and options, with ko's precedence", () => {
  let work: string;
  let app: string;
  let commit: string;
  let podman: Podman;
  let amdBase: string;
  let indexBase: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-koyaml-'));
    app = join(work, 'app');
    await cp(FIXTURE, app, { recursive: true });
    // A real git repository so .Git.* templates have something to read.
    const git = (...args: string[]) =>
      runOk('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: app });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-qm', 'fixture');
    commit = (await git('rev-parse', 'HEAD')).trim();
    amdBase = join(work, 'amd-base');
    await writeOciLayout(amdBase, await baseImage({ os: 'linux', architecture: 'amd64' }), 'v1');
    indexBase = join(work, 'index-base');
    await writeOciLayout(
      indexBase,
      ImageIndex.create([
        { image: await baseImage({ os: 'linux', architecture: 'amd64' }) },
        { image: await baseImage({ os: 'linux', architecture: 'arm64' }) },
      ]),
      'v1',
    );
    podman = await startPodman();
  });
  after(async () => {
    await podman?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const koYaml = (text: string) => writeFile(join(app, '.ko.yaml'), text);
  const env = (extra: NodeJS.ProcessEnv = {}) => testEnvironment({ GOFLAGS: '-mod=mod -buildvcs=false', ...extra });
  // Go does not record -ldflags in build info under -trimpath (golang/go#52372), so the
  // injected version is read from the running binary.
  let runs = 0;
  const versionFrom = async (options: Record<string, unknown>): Promise<Record<string, string>> => {
    const tag = `run${++runs}`;
    const tarball = join(work, `${tag}.tar`);
    await publish('./cmd/server', {
      dir: app,
      repo: 'tsko.test/ver',
      naming: 'bare',
      push: false,
      tags: [tag],
      platforms: ['linux/amd64'],
      sinks: [{ type: 'tarball', path: tarball }],
      ...options,
    });
    await podman.cmd(['load', '-i', tarball]);
    return JSON.parse(await podman.runAndFetch(`tsko.test/ver:${tag}`)) as Record<string, string>;
  };
  const baseName = (image: Image) => image.manifest.annotations?.['org.opencontainers.image.base.name'];

  it('expands .Env and .Git templates in builds[].ldflags, and the running binary prints them', async () => {
    await koYaml(
      `builds:\n- id: server\n  main: ./cmd/server\n  ldflags:\n  - -X main.version={{.Env.APP_VERSION}}-{{.Git.ShortCommit}}\n`,
    );
    const tarball = join(work, 'templated.tar');
    await publish('./cmd/server', {
      dir: app,
      repo: 'tsko.test/cfg',
      naming: 'bare',
      baseImage: `oci-layout://${amdBase}:v1`,
      push: false,
      tags: ['t'],
      sinks: [{ type: 'tarball', path: tarball }],
      environment: env({ APP_VERSION: '9.9.9' }),
    });
    await podman.cmd(['load', '-i', tarball]);
    const body = JSON.parse(await podman.runAndFetch('tsko.test/cfg:t')) as Record<string, string>;
    assert.equal(body.version, `9.9.9-${commit.slice(0, 7)}`);
  });

  it('uses defaultLdflags and defaultEnv when no builds[] entry matches, and code ldflags replace both', async () => {
    await koYaml(`defaultLdflags: ["-X main.version=from-default-{{.Env.LDV}}"]\ndefaultEnv: ["GOAMD64=v2"]\n`);
    const r1 = await build('./cmd/server', {
      dir: app,
      baseImage: 'scratch',
      platforms: ['linux/amd64'],
      environment: env({ LDV: 'x' }),
    });
    assert.match(r1.platforms[0]!.buildInfo, /GOAMD64=v2/, 'defaultEnv reached go build');
    assert.equal(
      (await versionFrom({ baseImage: 'scratch', environment: env({ LDV: 'x' }) })).version,
      'from-default-x',
    );
    const r2 = await build('./cmd/server', {
      dir: app,
      baseImage: 'scratch',
      platforms: ['linux/amd64'],
      env: ['GOAMD64=v3'],
      environment: env({ LDV: 'x' }),
    });
    assert.match(r2.platforms[0]!.buildInfo, /GOAMD64=v3/, 'code env is appended after config env, so it wins');
    assert.equal(
      (await versionFrom({ baseImage: 'scratch', ldflags: ['-X main.version=code'], environment: env({ LDV: 'x' }) }))
        .version,
      'code',
    );
  });

  it('takes the base image from options, then KO_DEFAULTBASEIMAGE, then .ko.yaml, with per-path overrides', async () => {
    await koYaml(`defaultBaseImage: oci-layout://${amdBase}:v1\n`);
    const fromYaml = await build('./cmd/server', { dir: app, environment: env() });
    assert.equal(baseName(fromYaml.image as Image), `oci-layout://${amdBase}:v1`);
    const fromEnv = await build('./cmd/server', {
      dir: app,
      platforms: ['linux/amd64'],
      environment: env({ KO_DEFAULTBASEIMAGE: `oci-layout://${indexBase}:v1` }),
    });
    assert.equal(baseName(fromEnv.image as Image), `oci-layout://${indexBase}:v1`);
    const fromCode = await build('./cmd/server', {
      dir: app,
      baseImage: 'scratch',
      environment: env({ KO_DEFAULTBASEIMAGE: `oci-layout://${indexBase}:v1` }),
    });
    assert.equal(baseName(fromCode.image as Image), undefined, 'scratch has no base annotations');
    await koYaml(
      `defaultBaseImage: scratch\nbaseImageOverrides:\n  example.com/app/cmd/server: oci-layout://${amdBase}:v1\n`,
    );
    const overridden = await build('./cmd/server', { dir: app, environment: env() });
    assert.equal(baseName(overridden.image as Image), `oci-layout://${amdBase}:v1`);
  });

  it('takes platforms from options, then KO_DEFAULTPLATFORMS, then defaultPlatforms', async () => {
    await koYaml(`defaultBaseImage: oci-layout://${indexBase}:v1\ndefaultPlatforms: [linux/arm64]\n`);
    const yaml = await build('./cmd/server', { dir: app, environment: env() });
    assert.deepEqual(
      yaml.platforms.map((p) => p.platform.architecture),
      ['arm64'],
    );
    const fromEnv = await build('./cmd/server', { dir: app, environment: env({ KO_DEFAULTPLATFORMS: 'all' }) });
    assert.equal(fromEnv.image.kind, 'index');
    assert.deepEqual(
      fromEnv.platforms.map((p) => p.platform.architecture),
      ['amd64', 'arm64'],
    );
    const code = await build('./cmd/server', {
      dir: app,
      platforms: ['linux/amd64'],
      environment: env({ KO_DEFAULTPLATFORMS: 'all' }),
    });
    assert.deepEqual(
      code.platforms.map((p) => p.platform.architecture),
      ['amd64'],
    );
  });

  it('takes the repository from options, else KO_DOCKER_REPO', async () => {
    await koYaml('defaultBaseImage: scratch\n');
    const fromEnv = await publish('./cmd/server', {
      dir: app,
      push: false,
      naming: 'bare',
      environment: env({ KO_DOCKER_REPO: 'env.example.com/team' }),
    });
    assert.equal(fromEnv.ref, `env.example.com/team:latest@${fromEnv.digest}`); // ko keeps the tag when not pushing
    const fromCode = await publish('./cmd/server', {
      dir: app,
      push: false,
      naming: 'bare',
      repo: 'code.example.com/x',
      environment: env({ KO_DOCKER_REPO: 'env.example.com/team' }),
    });
    assert.equal(fromCode.ref, `code.example.com/x:latest@${fromCode.digest}`);
  });

  it('reads the config named by KO_CONFIG_PATH (a folder)', async () => {
    const other = join(work, 'config-folder');
    await mkdir(other, { recursive: true });
    await writeFile(
      join(other, '.ko.yaml'),
      'defaultLdflags: ["-X main.version=from-ko-config-path"]\ndefaultBaseImage: scratch\n',
    );
    assert.equal((await versionFrom({ environment: env({ KO_CONFIG_PATH: other }) })).version, 'from-ko-config-path');
  });

  const invalid: [string, string, RegExp][] = [
    [
      'a wrong type, naming the field path',
      'builds:\n- main: ./cmd/server\n  ldflags: {a: b}\n',
      /\.ko\.yaml: builds\[0\]\.ldflags: expected a string or a list/,
    ],
    [
      'YAML syntax, naming the line',
      'defaultBaseImage: scratch\nbuilds: [\n  - x\n',
      /\.ko\.yaml:\d+: YAML syntax error/,
    ],
    [
      'an unknown template key',
      'defaultBaseImage: scratch\ndefaultLdflags: ["-X main.v={{.Env.TSKO_SURELY_UNSET}}"]\n',
      /defaultLdflags\[0\]: template error: map has no entry for key "TSKO_SURELY_UNSET"/,
    ],
    [
      'an unknown template group',
      'defaultBaseImage: scratch\ndefaultLdflags: ["{{.Gti.ShortCommit}}"]\n',
      /map has no entry for key "Gti"/,
    ],
    [
      'a template function Go does not have',
      'defaultBaseImage: scratch\ndefaultLdflags: ["{{ env \\"X\\" }}"]\n',
      /function "env" not defined/,
    ],
    ['a builds[] main that does not exist', 'builds:\n- main: ./cmd/missing\n', /builds\[0\]\.main: .*does not exist/],
    [
      'a builds[] main that is not package main',
      'builds:\n- main: ./lib\n',
      /builds\[0\]: main \.\/lib .*not package main/,
    ],
  ];
  for (const [what, text, message] of invalid) {
    it(`rejects ${what} with TSKO_CONFIG_INVALID`, async () => {
      await koYaml(text);
      await assert.rejects(build('./cmd/server', { dir: app, environment: env() }), (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_CONFIG_INVALID'), String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
