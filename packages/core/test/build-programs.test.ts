import assert from 'node:assert/strict';
import { access, chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildGoBinary, isTskoError, publish, type PublishOptions } from '@tsko/core';
import { FIXTURE, testEnvironment } from './helpers.js';

/**
 * The trust model with the real go command: a program named by any build setting would run
 * during publish. Each case points that setting at a script that leaves a marker file, so a
 * refusal is proved by the marker's absence, and the opt-in by its presence.
 */
describe('a build runs only the programs the caller allowed', () => {
  let work: string;
  let app: string;
  let marker: string;
  let script: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-programs-'));
    app = join(work, 'app');
    await cp(FIXTURE, app, { recursive: true });
    marker = join(work, 'ran');
    script = join(work, 'toolexec.sh');
    // A toolexec wrapper: records that it ran, then runs the real tool so the build works.
    await writeFile(script, `#!/bin/sh\necho "$1" >> ${marker}\nexec "$@"\n`);
    await chmod(script, 0o755);
  });
  after(() => rm(work, { recursive: true, force: true }));
  beforeEach(async () => {
    await rm(marker, { force: true });
    await rm(join(app, '.ko.yaml'), { force: true });
  });

  const ran = () =>
    access(marker).then(
      () => true,
      () => false,
    );
  const opts = (extra: PublishOptions = {}) => ({
    dir: app,
    baseImage: 'scratch',
    push: false,
    platforms: ['linux/amd64'],
    environment: testEnvironment(),
    ...extra,
  });
  const koYaml = (text: string) => writeFile(join(app, '.ko.yaml'), text);

  const refusedNaming = (file: string | undefined, field: string, setting: RegExp) => (err: unknown) => {
    assert.ok(isTskoError(err, 'TSKO_BUILD_PROGRAM_REFUSED'), String(err));
    assert.equal(err.details?.field, field);
    if (file) {
      assert.equal(err.details?.file, file);
      assert.ok(err.message.includes(file), err.message);
    }
    assert.ok(err.message.includes(field), err.message);
    assert.match(err.message, setting);
    assert.match(err.message, /allowBuildPrograms/);
    return true;
  };

  it('refuses GOFLAGS=-toolexec in .ko.yaml defaultEnv, naming the file and field, and runs nothing', async () => {
    await koYaml(`defaultEnv:\n  - GOFLAGS=-mod=mod -toolexec=${script}\n`);
    await assert.rejects(
      publish('./cmd/server', opts()),
      refusedNaming(join(app, '.ko.yaml'), 'defaultEnv[0]', /-toolexec/),
    );
    assert.equal(await ran(), false);
  });

  it('refuses GOFLAGS=-toolexec in .ko.yaml builds[].env', async () => {
    await koYaml(
      `builds:\n  - id: server\n    main: ./cmd/server\n    env:\n      - CGO_ENABLED=0\n      - GOFLAGS=--toolexec ${script}\n`,
    );
    await assert.rejects(
      publish('./cmd/server', opts()),
      refusedNaming(join(app, '.ko.yaml'), 'builds[0].env[1]', /toolexec/),
    );
    assert.equal(await ran(), false);
  });

  it('refuses GOFLAGS=-toolexec in options.env', async () => {
    await assert.rejects(
      publish('./cmd/server', opts({ env: [`GOFLAGS=-toolexec=${script}`] })),
      refusedNaming(undefined, 'env[0]', /options\.env\[0\].*toolexec/),
    );
    assert.equal(await ran(), false);
  });

  it('refuses -toolexec in .ko.yaml defaultFlags and options.flags', async () => {
    await koYaml(`defaultFlags: ["-toolexec=${script}"]\n`);
    await assert.rejects(
      publish('./cmd/server', opts()),
      refusedNaming(join(app, '.ko.yaml'), 'defaultFlags[0]', /toolexec/),
    );
    await rm(join(app, '.ko.yaml'));
    await assert.rejects(
      publish('./cmd/server', opts({ flags: ['-trimpath', `-toolexec=${script}`] })),
      refusedNaming(undefined, 'flags[1]', /options\.flags\[1\]/),
    );
    assert.equal(await ran(), false);
  });

  it('refuses CGO_ENABLED=1 with CC= from .ko.yaml (a compiler is a program)', async () => {
    await koYaml(`defaultEnv: [CGO_ENABLED=1, "CC=${script}"]\n`);
    await assert.rejects(publish('./cmd/server', opts()), refusedNaming(join(app, '.ko.yaml'), 'defaultEnv[1]', /CC=/));
    assert.equal(await ran(), false);
  });

  it('refuses an external linker named in ldflags, and PATH / GOTOOLCHAIN / CGO_LDFLAGS from .ko.yaml', async () => {
    const cases: [string, string, RegExp][] = [
      [`defaultLdflags: ["-s -extld=${script}"]\n`, 'defaultLdflags[0]', /extld/],
      [`defaultEnv: ["PATH=${work}:/usr/bin"]\n`, 'defaultEnv[0]', /PATH/],
      ['defaultEnv: [GOTOOLCHAIN=go1.99.0]\n', 'defaultEnv[0]', /GOTOOLCHAIN/],
      ['defaultEnv: ["CGO_LDFLAGS=-fplugin=/tmp/x.so"]\n', 'defaultEnv[0]', /CGO_LDFLAGS/],
      [`defaultEnv: ["GOFLAGS=-overlay=${work}/overlay.json"]\n`, 'defaultEnv[0]', /overlay/],
      ['defaultEnv: ["GIT_CONFIG_COUNT=1"]\n', 'defaultEnv[0]', /GIT_CONFIG_COUNT/],
    ];
    for (const [yaml, field, setting] of cases) {
      await koYaml(yaml);
      await assert.rejects(publish('./cmd/server', opts()), refusedNaming(join(app, '.ko.yaml'), field, setting));
    }
    assert.equal(await ran(), false);
  });

  it('a template that expands to -toolexec is refused too (checked after expansion)', async () => {
    await koYaml('defaultFlags: ["{{.Env.EXTRA}}"]\n');
    await assert.rejects(
      publish('./cmd/server', opts({ environment: testEnvironment({ EXTRA: `-toolexec=${script}` }) })),
      refusedNaming(join(app, '.ko.yaml'), 'defaultFlags[0]', /toolexec/),
    );
    assert.equal(await ran(), false);
  });

  it('keeps plain build data from .ko.yaml: CGO_ENABLED, GOFLAGS=-mod, tags, -X ldflags', async () => {
    await koYaml(
      'defaultEnv: [CGO_ENABLED=0, "GOFLAGS=-mod=mod -tags=netgo"]\ndefaultFlags: [-tags=netgo]\ndefaultLdflags: ["-s -w -X main.version=v9"]\n',
    );
    const result = await publish('./cmd/server', opts());
    assert.match(result.digest, /^sha256:/);
  });

  it('-o is never allowed: tsko owns the output path', async () => {
    await assert.rejects(
      publish('./cmd/server', opts({ flags: ['-o', '/tmp/x'], allowBuildPrograms: true })),
      (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT') && /options\.flags\[0\]/.test(err.message),
    );
  });

  it('allowBuildPrograms: true lets .ko.yaml GOFLAGS=-toolexec run (the opt-in)', async () => {
    await koYaml(`defaultEnv:\n  - GOFLAGS=-mod=mod -toolexec=${script}\n`);
    const result = await publish('./cmd/server', opts({ allowBuildPrograms: true }));
    assert.match(result.digest, /^sha256:/);
    assert.equal(await ran(), true);
  });

  it('buildGoBinary applies the same rule to its env, and the opt-in', async () => {
    const request = {
      importPath: './cmd/server',
      dir: app,
      platform: { os: 'linux', architecture: 'amd64' },
      baseEnv: testEnvironment(),
      env: [`GOFLAGS=-toolexec=${script}`],
    };
    await assert.rejects(
      buildGoBinary(request),
      (err: unknown) => isTskoError(err, 'TSKO_BUILD_PROGRAM_REFUSED') && /env\[0\]/.test(err.message),
    );
    assert.equal(await ran(), false);
    const out = await mkdtemp(join(work, 'out-'));
    const binary = await buildGoBinary({ ...request, outDir: out, allowBuildPrograms: true });
    assert.equal(binary.appName, 'server');
    assert.equal(await ran(), true);
  });
});
