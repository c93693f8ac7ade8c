import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, publish, type BuildResult, type PublishOptions } from '@tsko/core';
import type { Image } from '@tsko/registry';
import { readTarLayer, runOk, writeModuleProxy } from '@tsko/test-rig';
import { testEnvironment } from './helpers.js';

/*
 * A program whose binary shows each of its inputs as a marker string: its own source, a file
 * of its package added later, an embedded file, a dependency from a module proxy (by version),
 * a module on disk reached through `replace`, and a file only a build tag selects. `go` is a
 * wrapper script that logs each run, so "no go process ran" is a fact read from a file.
 */
const LIB = 'example.com/tsko-keyed-lib';
const libVersion = (v: string) => ({
  path: LIB,
  version: v,
  files: { 'go.mod': `module ${LIB}\n\ngo 1.21\n`, 'lib.go': `package lib\n\nconst Marker = "lib-${v}"\n` },
});

const TOOL = 'example.com/tsko-keyed-tool';
const toolVersion = (v: string) => ({
  path: TOOL,
  version: v,
  files: {
    'go.mod': `module ${TOOL}\n\ngo 1.21\n`,
    'cmd/tool/main.go': `package main\n\nfunc main() { println("tool-${v}") }\n`,
  },
});

describe('input-keyed builds: a republish with unchanged inputs runs no go process', () => {
  let work: string;
  let app: string;
  let log: string;
  let wrapper: string;
  let env: NodeJS.ProcessEnv;

  const writeWrapper = async (path: string) => {
    const go = execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim();
    await writeFile(path, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${go}' "$@"\n`);
    await chmod(path, 0o755);
  };
  const goRuns = async (): Promise<string[]> => {
    const text = await readFile(log, 'utf8').catch(() => '');
    await writeFile(log, '');
    return text.split('\n').filter(Boolean);
  };
  const options = (extra: PublishOptions = {}) => ({
    dir: app,
    repo: 'tsko.test/keyed',
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    cacheDir: join(work, 'cache'),
    goBinary: wrapper,
    environment: env,
    ...extra,
  });
  /** The program's binary as text (its string constants survive the decoding). */
  const binaryText = async (result: BuildResult, name = 'app'): Promise<string> => {
    const image = result.image as Image;
    const entries = await readTarLayer(await image.layers[image.layers.length - 1]!.open());
    const bin = entries.find((e) => e.name.endsWith(`ko-app/${name}`));
    assert.ok(bin, `the binary layer holds /ko-app/${name}`);
    return bin.body;
  };
  /** Builds after a change: go must run, and the binary must show `marker`; then a no-op again. */
  const changedBuild = async (marker: string, extra: PublishOptions = {}) => {
    await goRuns();
    const first = await build('./cmd/app', options(extra));
    const runs = await goRuns();
    assert.ok(
      runs.some((l) => l.startsWith('build ')),
      'the change made go build run',
    );
    const text = await binaryText(first);
    assert.ok(text.includes(marker), `the binary shows ${marker}`);
    const again = await build('./cmd/app', options(extra));
    assert.deepEqual(await goRuns(), [], 'the build after it is a no-op again');
    assert.equal(again.image.digest, first.image.digest);
    return { first, text, runs };
  };
  const edit = (file: string, text: string) => writeFile(join(app, file), text);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-keyed-'));
    log = join(work, 'go.log');
    wrapper = join(work, 'go');
    await writeWrapper(wrapper);
    const proxy = await writeModuleProxy(join(work, 'proxy'), [libVersion('v1.0.0')]);
    env = testEnvironment({ GOPROXY: proxy, GONOSUMDB: `${LIB},${TOOL}` });
    app = join(work, 'app');
    const local = join(work, 'local');
    await mkdir(join(app, 'cmd', 'app', 'static'), { recursive: true });
    await mkdir(local, { recursive: true });
    await writeFile(join(local, 'go.mod'), 'module example.com/local\n\ngo 1.21\n');
    await writeFile(join(local, 'local.go'), 'package local\n\nconst Marker = "local-one"\n');
    await edit(
      'go.mod',
      `module example.com/app\n\ngo 1.21\n\nrequire (\n\t${LIB} v1.0.0\n\texample.com/local v0.0.0\n)\n\nreplace example.com/local => ../local\n`,
    );
    await edit('cmd/app/static/msg.txt', 'embed-one');
    await edit(
      'cmd/app/main.go',
      [
        'package main',
        '',
        'import (',
        '\t_ "embed"',
        '',
        '\t"example.com/local"',
        `\tlib "${LIB}"`,
        ')',
        '',
        '//go:embed static/msg.txt',
        'var msg string',
        '',
        'var extra = ""',
        '',
        'func main() { println("source-one", msg, lib.Marker, local.Marker, extra) }',
        '',
      ].join('\n'),
    );
    await edit('cmd/app/extra.go', '//go:build extra\n\npackage main\n\nfunc init() { extra = "tagged-file" }\n');
    await runOk('go', ['mod', 'tidy'], { cwd: app, env });
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('publishes twice: the second runs neither go list nor go build and gives the same digest', async () => {
    const first = await publish('./cmd/app', options({ push: false }));
    assert.ok((await goRuns()).some((l) => l.startsWith('build ')));
    const second = await publish('./cmd/app', options({ push: false }));
    assert.deepEqual(await goRuns(), [], 'no go process ran');
    assert.equal(second.digest, first.digest);
    const text = await binaryText(await build('./cmd/app', options()));
    for (const m of ['source-one', 'embed-one', 'lib-v1.0.0', 'local-one']) assert.ok(text.includes(m), m);
    assert.ok(!text.includes('tagged-file'));
  });

  it('rebuilds after a source file edit', async () => {
    const main = await readFile(join(app, 'cmd/app/main.go'), 'utf8');
    await edit('cmd/app/main.go', main.replace('source-one', 'source-two'));
    await changedBuild('source-two');
  });

  it('rebuilds after a new file appears in the package folder', async () => {
    await edit('cmd/app/more.go', 'package main\n\nfunc init() { println("new-file") }\n');
    await changedBuild('new-file');
  });

  it('rebuilds after an embedded file is edited', async () => {
    await edit('cmd/app/static/msg.txt', 'embed-two');
    await changedBuild('embed-two');
  });

  it('rebuilds after a file excluded by a build constraint loses its constraint', async () => {
    await edit('cmd/app/ignored.go', '//go:build never\n\npackage main\n\nfunc init() { println("was-ignored") }\n');
    await changedBuild('source-two');
    await edit('cmd/app/ignored.go', '//go:build !never\n\npackage main\n\nfunc init() { println("was-ignored") }\n');
    await changedBuild('was-ignored');
  });

  it('rebuilds after the dependency version changes in go.mod', async () => {
    await writeModuleProxy(join(work, 'proxy'), [libVersion('v1.1.0')]);
    await runOk('go', ['get', `${LIB}@v1.1.0`], { cwd: app, env });
    const { text } = await changedBuild('lib-v1.1.0');
    assert.ok(!text.includes('lib-v1.0.0'));
  });

  it('rebuilds after a file in a local replace target changes', async () => {
    await writeFile(join(work, 'local', 'local.go'), 'package local\n\nconst Marker = "local-two"\n');
    const { runs } = await changedBuild('local-two');
    assert.ok(
      !runs.some((l) => l.startsWith('list ') && !l.includes(' -deps ')),
      'the main package still resolves from its record',
    );
  });

  it('rebuilds when a go.work appears above the module, and when it goes', async () => {
    await writeFile(join(work, 'local', 'local.go'), 'package local\n\nconst Marker = "local-three"\n');
    await changedBuild('local-three');
    await writeFile(join(work, 'go.work'), 'go 1.21\n\nuse (\n\t./app\n\t./local\n)\n');
    await changedBuild('local-three');
    await rm(join(work, 'go.work'));
    await changedBuild('local-three');
  });

  it("rebuilds a dependency's command when go.mod moves it to another version", async () => {
    // The built package lives in the module cache; only the main module's go.mod pins it.
    await writeModuleProxy(join(work, 'proxy'), [toolVersion('v1.0.0'), toolVersion('v1.1.0')]);
    await runOk('go', ['get', `${TOOL}@v1.0.0`], { cwd: app, env });
    const tool = async () => {
      await goRuns();
      const r = await build(`${TOOL}/cmd/tool`, options());
      return { runs: await goRuns(), text: await binaryText(r, 'tool') };
    };
    const one = await tool();
    assert.ok(one.text.includes('tool-v1.0.0') && one.runs.length > 0);
    assert.deepEqual((await tool()).runs, [], 'a no-op');
    await runOk('go', ['get', `${TOOL}@v1.1.0`], { cwd: app, env });
    const two = await tool();
    assert.ok(
      two.runs.some((l) => l.startsWith('build ')),
      'go build ran for the new version',
    );
    assert.ok(two.text.includes('tool-v1.1.0') && !two.text.includes('tool-v1.0.0'));
  });

  it('rebuilds for a new flag', async () => {
    await changedBuild('tagged-file', { flags: ['-tags=extra'] });
  });

  it('rebuilds for a changed environment variable (GOFLAGS)', async () => {
    await build('./cmd/app', options()); // current record without the tag (go.mod changed above)
    await changedBuild('tagged-file', { environment: { ...env, GOFLAGS: `${env.GOFLAGS} -tags=extra` } });
    const plain = await build('./cmd/app', options());
    assert.deepEqual(await goRuns(), [], 'the record without the tag still holds');
    assert.ok(!(await binaryText(plain)).includes('tagged-file'));
  });

  it('rebuilds for another Go tool', async () => {
    const other = join(work, 'other-go');
    await writeWrapper(other);
    await changedBuild('source-two', { goBinary: other });
  });

  it('never reuses a build that carries a VCS stamp', async () => {
    // Go stamps vcs.revision and vcs.modified from the repository, which no listed file shows.
    const git = (...args: string[]) => runOk('git', args, { cwd: app, env: { ...env, GIT_CONFIG_NOSYSTEM: '1' } });
    await git('init', '-q');
    await git('-c', 'user.name=t', '-c', 'user.email=t@127.0.0.1', 'add', '.');
    await git('-c', 'user.name=t', '-c', 'user.email=t@127.0.0.1', 'commit', '-qm', 'x');
    const vcs = { environment: { ...env, GOFLAGS: '-modcacherw -buildvcs=true' } };
    const first = await build('./cmd/app', options(vcs));
    assert.ok((await goRuns()).some((l) => l.startsWith('build ')));
    assert.match(first.platforms[0]!.buildInfo, /vcs\.revision=/);
    await build('./cmd/app', options(vcs));
    assert.ok(
      (await goRuns()).some((l) => l.startsWith('build ')),
      'go build ran again',
    );
    await rm(join(app, '.git'), { recursive: true, force: true });
  });

  it('never reuses a cgo build', async () => {
    const cgo = { environment: { ...env, CGO_ENABLED: '1' } };
    await build('./cmd/app', options(cgo));
    assert.ok((await goRuns()).some((l) => l.startsWith('build ')));
    await build('./cmd/app', options(cgo));
    assert.ok(
      (await goRuns()).some((l) => l.startsWith('build ')),
      'go build ran again',
    );
  });
});
