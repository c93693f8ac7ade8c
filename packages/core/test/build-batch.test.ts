import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, createPublisher, publish, type CoreEvent, type PublishOptions } from '@tsko/core';
import { isTskoError, type Image } from '@tsko/registry';
import { MANY_MODULE, readTarLayer, SHARED_VALUE_FILE, sharedValueSource, writeManyPrograms } from '@tsko/test-rig';
import { loggedGo } from './go-machines.js';
import { testEnvironment } from './helpers.js';

/*
 * Twenty programs (test/rig's many-programs module: cmd/p01 … cmd/p20, sharing two internal
 * packages and net/http) published in one call. `go` is a wrapper script that logs each run
 * and execs the real Go, so "one go build for all" is read from a file, not assumed.
 */
describe('a publish of many programs runs one go build for all of them', () => {
  let work: string;
  let app: string;
  let go: Awaited<ReturnType<typeof loggedGo>>;
  let wrapper: string;
  let paths: string[];
  const env = testEnvironment({ GOPROXY: 'off' });

  const goRuns = () => go.runs();
  const builds = (runs: string[]) => runs.filter((l) => l.startsWith('build '));
  const options = (extra: PublishOptions = {}): PublishOptions => ({
    dir: app,
    repo: 'tsko.test/many',
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    push: false,
    cacheDir: join(work, 'cache'),
    goBinary: wrapper,
    environment: env,
    ...extra,
  });
  /** The program's binary as text, from a build the input key answers (no go runs). */
  const binaryText = async (path: string, extra: PublishOptions = {}): Promise<string> => {
    const image = (await build(path, options(extra))).image as Image;
    const entries = await readTarLayer(await image.layers[image.layers.length - 1]!.open());
    const bin = entries.find((e) => e.type === 'file' && e.name.includes('ko-app/'));
    assert.ok(bin, `${path}: the binary layer holds /ko-app/<name>`);
    return bin.body;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-batch-'));
    go = await loggedGo(work);
    wrapper = go.wrapper;
    app = join(work, 'many');
    paths = await writeManyPrograms(app, 20);
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('20 programs: one go list, one go list -deps, one go build, and the digests of publishing each alone', async () => {
    const together = await publish(paths, options());
    const runs = await goRuns();
    assert.equal(builds(runs).length, 1, runs.join('\n'));
    const lists = runs.filter((l) => l.startsWith('list '));
    assert.equal(lists.filter((l) => !l.includes(' -deps ')).length, 1, 'one go list resolves all 20');
    assert.equal(lists.filter((l) => l.includes(' -deps ')).length, 1, 'one go list -deps lists all inputs');
    for (const p of paths) assert.ok(builds(runs)[0]!.includes(`${MANY_MODULE}/cmd/${p.slice(6)}`), p);
    assert.equal(new Set(together.map((r) => r.digest)).size, 20, 'twenty different images');

    // Each alone, in a cache of its own: nothing from the batch answers these builds.
    for (const [i, path] of paths.entries()) {
      const alone = await publish(path, options({ cacheDir: join(work, 'alone') }));
      assert.equal(alone.digest, together[i]!.digest, path);
    }
    assert.equal(builds(await goRuns()).length, 20, 'each alone ran its own go build');
  });

  it('a republish runs no go process and says so with build:reused for each program', async () => {
    const events: CoreEvent[] = [];
    await publish(paths, options({ onEvent: (e) => events.push(e) }));
    assert.deepEqual(await goRuns(), []);
    const reused = events.filter((e) => e.type === 'build:reused').map((e) => e.importPath);
    assert.deepEqual(reused.sort(), paths.map((p) => `${MANY_MODULE}/${p.slice(2)}`).sort());
  });

  it('an edit of the shared package rebuilds every program, in one go build', async () => {
    const before = await publish(paths, options());
    await writeFile(join(app, SHARED_VALUE_FILE), sharedValueSource('two'));
    const after = await publish(paths, options());
    assert.equal(builds(await goRuns()).length, 1);
    for (const [i, r] of after.entries()) assert.notEqual(r.digest, before[i]!.digest, r.importPath);
    for (const path of [paths[0]!, paths[19]!]) assert.ok((await binaryText(path)).includes('two'), path);
    assert.deepEqual(await goRuns(), [], 'the builds after it are answered by their input keys');
  });

  it('two programs with the same last element each get their own binary (separate go builds)', async () => {
    await mkdir(join(app, 'tools', 'p01'), { recursive: true });
    await writeFile(join(app, 'tools', 'p01', 'main.go'), 'package main\n\nfunc main() { println("the-tools-p01") }\n');
    // A new folder at the module root is an input of every program: all three are built.
    const [cmd, tools] = await publish(['./cmd/p01', './tools/p01', './cmd/p02'], options());
    const runs = builds(await goRuns());
    assert.equal(runs.length, 2, `Go writes one file for both into one -o folder: ${runs.join('\n')}`);
    assert.notEqual(cmd!.digest, tools!.digest);
    assert.ok((await binaryText('./tools/p01')).includes('the-tools-p01'));
    assert.ok(!(await binaryText('./cmd/p01')).includes('the-tools-p01'));
  });

  it("a compile error is reported for its own program, with Go's output; the others are published", async () => {
    await mkdir(join(app, 'cmd', 'broken'), { recursive: true });
    await writeFile(join(app, 'cmd', 'broken', 'main.go'), 'package main\n\nfunc main() { var x int = "nope" }\n');
    const good = await publish(paths.slice(0, 4), options());
    await writeFile(join(app, SHARED_VALUE_FILE), sharedValueSource('three'));
    await goRuns();
    const publisher = await createPublisher(options());
    const results = await Promise.allSettled([...paths.slice(0, 4), './cmd/broken'].map((p) => publisher.publish(p)));
    await publisher.close();
    const failed = results[4]!;
    assert.equal(failed.status, 'rejected');
    const err = (failed as PromiseRejectedResult).reason;
    assert.ok(isTskoError(err, 'TSKO_BUILD_FAILED'), String(err));
    assert.equal(err.details?.importPath, `${MANY_MODULE}/cmd/broken`);
    assert.match(err.message, /cmd\/broken/);
    assert.match(String(err.details?.output), /cannot use "nope"/);
    for (const [i, r] of results.slice(0, 4).entries()) {
      assert.equal(r.status, 'fulfilled', paths[i]);
      const done = (r as PromiseFulfilledResult<{ digest: string }>).value;
      assert.notEqual(done.digest, good[i]!.digest, `${paths[i]} was rebuilt with the new shared value`);
      assert.ok((await binaryText(paths[i]!)).includes('three'), paths[i]);
    }
    const runs = builds(await goRuns());
    assert.equal(runs.length, 6, `the batch, then each program alone: ${runs.join('\n')}`);
    await rm(join(app, 'cmd', 'broken'), { recursive: true });
  });

  it('one program asked under two spellings is built once', async () => {
    await writeFile(join(app, SHARED_VALUE_FILE), sharedValueSource('four'));
    await goRuns();
    const [short, full] = await publish(['./cmd/p03', `${MANY_MODULE}/cmd/p03`], options());
    assert.equal(short!.digest, full!.digest);
    const runs = builds(await goRuns());
    assert.equal(runs.length, 1, runs.join('\n'));
    assert.equal(runs[0]!.split(`${MANY_MODULE}/cmd/p03`).length, 2, 'named once on the go build line');
  });

  it('a broken package makes only its reader unkeyable: one go list -deps keys the others, the reader fails naming it', async () => {
    await mkdir(join(app, 'internal', 'broken'), { recursive: true });
    // Imports a package that exists nowhere: go list -deps reports it, and go build fails on it.
    await writeFile(
      join(app, 'internal', 'broken', 'broken.go'),
      `package broken\n\nimport _ "${MANY_MODULE}/internal/nothere"\n`,
    );
    await mkdir(join(app, 'cmd', 'reader'), { recursive: true });
    await writeFile(
      join(app, 'cmd', 'reader', 'main.go'),
      `package main\n\nimport _ "${MANY_MODULE}/internal/broken"\n\nfunc main() {}\n`,
    );
    await goRuns();
    const three = paths.slice(0, 3);
    const publisher = await createPublisher(options());
    const results = await Promise.allSettled([...three, './cmd/reader'].map((p) => publisher.publish(p)));
    await publisher.close();
    const runs = await goRuns();
    const listings = runs.filter((l) => l.startsWith('list ') && l.includes(' -deps '));
    assert.equal(listings.length, 1, `one listing for all four, not one per program: ${listings.join('\n')}`);
    assert.ok(listings[0]!.includes('cmd/reader'), listings[0]);

    const failed = results[3]!;
    assert.equal(failed.status, 'rejected');
    const err = (failed as PromiseRejectedResult).reason;
    assert.ok(isTskoError(err, 'TSKO_BUILD_FAILED'), String(err));
    assert.equal(err.details?.importPath, `${MANY_MODULE}/cmd/reader`);
    assert.match(String(err.details?.output), /internal\/broken.*internal\/nothere/);
    for (const [i, r] of results.slice(0, 3).entries()) assert.equal(r.status, 'fulfilled', three[i]);

    // Keyed from that one listing: asked again, no go process runs for them.
    const events: CoreEvent[] = [];
    await publish(three, options({ onEvent: (e) => events.push(e) }));
    assert.deepEqual(await goRuns(), []);
    assert.equal(events.filter((e) => e.type === 'build:reused').length, 3);
    await rm(join(app, 'cmd', 'reader'), { recursive: true });
    await rm(join(app, 'internal', 'broken'), { recursive: true });
  });

  it('.ko.yaml builds[] with their own ldflags are built apart, each with its own flags', async () => {
    const other = join(work, 'configured');
    await cp(app, other, { recursive: true });
    await writeFile(
      join(other, '.ko.yaml'),
      [
        'builds:',
        '- id: one',
        '  main: ./cmd/p01',
        '  ldflags: ["-X main.stamp=stamp-one"]',
        '- id: two',
        '  main: ./cmd/p02',
        '  ldflags: ["-X main.stamp=stamp-two"]',
        '',
      ].join('\n'),
    );
    const four = ['./cmd/p01', './cmd/p02', './cmd/p03', './cmd/p04'];
    await goRuns();
    await publish(four, options({ dir: other }));
    const runs = builds(await goRuns());
    assert.equal(runs.length, 3, `p01 alone, p02 alone, p03 and p04 together: ${runs.join('\n')}`);
    const text = (p: string) => binaryText(p, { dir: other });
    assert.ok((await text('./cmd/p01')).includes('stamp-one'));
    assert.ok((await text('./cmd/p02')).includes('stamp-two'));
    for (const p of ['./cmd/p03', './cmd/p04']) assert.ok(!/stamp-(one|two)/.test(await text(p)), p);
  });
});
