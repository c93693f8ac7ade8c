import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publish, type CoreEvent, type PublishOptions } from '@tsko/core';
import {
  type FaultProxy,
  MANY_MODULE,
  startFaultProxy,
  startRegistry,
  type TestRegistry,
  writeManyPrograms,
} from '@tsko/test-rig';
import { loggedGo } from './go-machines.js';
import { pushBaseIndex, testEnvironment } from './helpers.js';

/*
 * A publish of three programs where p01 is answered by the records of an earlier build and
 * p02, p03 were edited and must run Go. p01 alone builds on a base index served through a
 * proxy that holds its answers back until a Go process of the others has started: the index
 * until their resolving `go list`, the platform's manifest until their `go build`. If p01
 * stayed in a Go round until its base image loaded, that round would wait for p01 and p01's
 * base for that round: the hold ends at its deadline instead, and the test fails. The order
 * is read from the go log and the proxy, never from a clock.
 */
describe('a program answered by its records does not hold back the Go rounds of the others', () => {
  let work: string;
  let app: string;
  let go: Awaited<ReturnType<typeof loggedGo>>;
  let registry: TestRegistry;
  let proxy: FaultProxy | undefined;
  const env = testEnvironment({ GOPROXY: 'off' });
  const programs = ['./cmd/p01', './cmd/p02', './cmd/p03'];
  const options = (extra: PublishOptions = {}): PublishOptions => ({
    dir: app,
    repo: 'tsko.test/rounds',
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    push: false,
    cacheDir: join(work, 'cache'),
    goBinary: go.wrapper,
    environment: env,
    ...extra,
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-rounds-'));
    go = await loggedGo(work);
    app = join(work, 'many');
    await writeManyPrograms(app, 3);
    registry = await startRegistry('plain');
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('leaves the resolution round once named, and the list and build rounds once its build is answered, before its base loads', async () => {
    const { ref } = await pushBaseIndex(registry, 'base/static:v1');
    await publish(programs, options());
    for (const name of ['p02', 'p03']) {
      const main = join(app, 'cmd', name, 'main.go');
      // Rewritten in place: the folder cmd/ (an input of p01 too) keeps its stamp.
      await writeFile(main, (await readFile(main, 'utf8')).replace(`"${name}"`, `"${name}-edited"`));
    }
    await go.runs();

    const resolving = (l: string) => l.startsWith('list ') && !l.includes(' -deps ');
    const building = (l: string) => l.startsWith('build ');
    // The holds end at 20 s if the Go process never starts; the client waits longer than that,
    // so a failure reads as the assertion below rather than a registry timeout.
    const listedFirst = go.started(resolving, 20_000);
    const builtFirst = go.started(building, 20_000);
    proxy = await startFaultProxy(registry.host, [
      { match: (r) => /\/manifests\/v1$/.test(r.url ?? ''), times: 100, action: { heldUntil: listedFirst } },
      { match: (r) => /\/manifests\/sha256:/.test(r.url ?? ''), times: 100, action: { heldUntil: builtFirst } },
    ]);
    const events: CoreEvent[] = [];
    const results = await publish(
      programs,
      options({
        baseImageOverrides: { [`${MANY_MODULE}/cmd/p01`]: ref.replace(registry.host, proxy.host) },
        onEvent: (e) => events.push(e),
        timeouts: { responseMs: 60_000, requestMs: 60_000 },
      }),
    );

    assert.equal(results.length, 3);
    const held = proxy.faults.join('\n');
    assert.match(held, /manifests\/v1/, 'the base index was asked through the holding proxy');
    assert.match(held, /manifests\/sha256:/, "the platform's manifest was asked through the holding proxy");
    assert.equal(await listedFirst, true, "the others' go list ran while p01's base index was held");
    assert.equal(await builtFirst, true, "the others' go build ran while p01's platform image was held");

    const reused = events.filter((e) => e.type === 'build:reused').map((e) => e.importPath);
    assert.deepEqual(reused, [`${MANY_MODULE}/cmd/p01`], 'p01 was answered by its record');
    const runs = await go.runs();
    const builds = runs.filter(building);
    assert.equal(builds.length, 1, runs.join('\n'));
    assert.match(builds[0]!, /cmd\/p02 .*cmd\/p03|cmd\/p03 .*cmd\/p02/, 'p02 and p03 in one go build');
    assert.ok(!runs.some((l) => l.includes('cmd/p01')), `no go process named p01: ${runs.join('\n')}`);
  });
});
