import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, publish, type CoreEvent } from '@tsko/core';
import type { RegistryEvent } from '@tsko/registry';
import { startRegistry, type TestRegistry } from '@tsko/test-rig';
import { listBuildInputs } from '../src/go/build-inputs.js';
import { goBuildEnv } from '../src/go/build-binary.js';
import { fixtureMachine, loggedGo } from './go-machines.js';

type Event = CoreEvent | RegistryEvent;
type CacheEvent = Extract<Event, { type: 'build:shared-cache' }>;
const AMD64 = { os: 'linux', architecture: 'amd64' };

/*
 * A machine the shared build cache answered records the build locally, as after a real build:
 * its next publish (same cacheDir, same inputs) is answered here, without the cache registry
 * and without Go. The images go to one registry and the cache lives in another, so the cache
 * can be stopped. Machine A builds with the rig's warm Go caches and stores its build; "B" is
 * the project copied elsewhere with its own tsko cache, its own empty GOCACHE and GOMODCACHE,
 * and `go` a wrapper that logs each run.
 */
describe('shared build cache: a machine it answered answers the next publish itself', () => {
  let images: TestRegistry;
  let work: string;
  let go: Awaited<ReturnType<typeof loggedGo>>;
  let wrapper: string;
  let n = 0;

  const machine = (cacheRepo: string, warm = false, env: NodeJS.ProcessEnv = {}) =>
    fixtureMachine({
      root: join(work, `m${++n}`),
      repo: `${images.host}/apps-${n}`,
      cacheRepo,
      goBinary: wrapper,
      warm,
      env,
    });
  const goRuns = () => go.runs();
  /** A cache registry of its own, with machine A's build of the fixture stored in it. */
  const cacheWithBuild = async (env: NodeJS.ProcessEnv = {}) => {
    const cache = await startRegistry('plain');
    const repo = `${cache.host}/team/cache`;
    const a = await machine(repo, true, env);
    const { digest } = await publish('./cmd/server', a.options());
    const stored = cacheEvents(a.events).find((e) => e.result === 'stored');
    assert.ok(stored?.tag, `A stored its build: ${JSON.stringify(cacheEvents(a.events))}`);
    await goRuns();
    const built = a.events.find((e) => e.type === 'layer:built' && e.layer === 'binary');
    assert.ok(built?.type === 'layer:built', 'A built its binary layer');
    return { cache, repo, digest, tag: stored.tag, layer: built.digest };
  };
  /** What a publish told about its one platform, in the words that differ between a build, a record and the cache. */
  const outcome = (events: Event[]) =>
    events
      .filter((e) => e.type === 'build:reused' || e.type === 'build:shared-cache' || e.type === 'layer:cached')
      .map((e) => (e.type === 'build:shared-cache' ? `shared-cache:${e.result}` : e.type))
      .filter((t) => t !== 'shared-cache:resolved')
      .sort();

  before(async () => {
    images = await startRegistry('plain');
    work = await mkdtemp(join(tmpdir(), 'tsko-shared-local-'));
    go = await loggedGo(work);
    wrapper = go.wrapper;
  });
  after(async () => {
    await images?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('publishes again with the cache registry stopped: no go process, GOCACHE empty, the same digest', async () => {
    const { cache, repo, digest } = await cacheWithBuild();
    try {
      const b = await machine(repo);
      const first = await publish('./cmd/server', b.options());
      assert.equal(first.digest, digest);
      assert.deepEqual(outcome(b.events), ['build:reused', 'layer:cached', 'shared-cache:hit']);
      const runs = (await goRuns()).filter((r) => !r.startsWith('env -json'));
      assert.deepEqual(runs, [], 'the shared cache answered B');
      const layer = b.events.find((e) => e.type === 'layer:cached' && e.layer === 'binary');
      assert.ok(layer?.type === 'layer:cached');
      const blobs = await readdir(join(b.root, 'tsko-cache', 'blobs', 'sha256'));
      assert.ok(blobs.includes(layer.digest.slice('sha256:'.length)), 'the binary layer is in B’s own store');
      await cache.stop();

      b.events.length = 0;
      const second = await publish('./cmd/server', b.options({ tags: ['again'] }));
      assert.equal(second.digest, digest);
      assert.deepEqual(await goRuns(), [], 'no go process at all: the import path and the build came from records');
      assert.deepEqual(await readdir(join(b.root, 'gocache')), [], 'GOCACHE stays empty');
      assert.deepEqual(cacheEvents(b.events), [], 'the cache was not asked (it would have failed)');
      assert.deepEqual(outcome(b.events), ['build:reused', 'layer:cached'], 'told as after a real build');
    } finally {
      await cache.stop();
    }
  });

  it('a layer the cache serves corrupted is a miss: none of it is kept, and the program is compiled', async () => {
    const { cache, repo, digest, layer } = await cacheWithBuild();
    try {
      // Same size, one byte changed, in the cache registry's own storage: only the digest can tell.
      const hex = layer.slice('sha256:'.length);
      const data = join(cache.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      const bytes = await readFile(data);
      bytes[bytes.length >> 1]! ^= 0xff;
      await writeFile(data, bytes);
      const b = await machine(repo);
      const result = await publish('./cmd/server', b.options({ buildCache: { repo, write: false } }));
      const miss = cacheEvents(b.events).find((e) => e.result === 'miss');
      assert.match(miss?.reason ?? '', /could not be copied here: TSKO_DIGEST_MISMATCH/, JSON.stringify(miss));
      assert.ok(
        (await goRuns()).some((r) => r.startsWith('build ')),
        'B compiled the program',
      );
      assert.equal(result.digest, digest, 'the compiled build gives the image A published');
      const kept = await readFile(join(b.root, 'tsko-cache', 'blobs', 'sha256', hex));
      assert.equal(
        createHash('sha256').update(kept).digest('hex'),
        hex,
        'B’s store holds the layer it built, not the corrupted one',
      );
    } finally {
      await cache.stop();
    }
  });

  it('answers as after a real build: the same events, and no request to the cache repository', async () => {
    const { cache, repo, digest } = await cacheWithBuild();
    try {
      // The words after a real build: a machine that compiled (no shared cache), publishing again.
      const built = await machine(repo, true);
      const { buildCache: _, ...local } = built.options();
      await publish('./cmd/server', local);
      built.events.length = 0;
      await publish('./cmd/server', { ...local, tags: ['again'] });
      const b = await machine(repo);
      const options = (tags: string[]) => b.options({ buildCache: { repo, write: false }, tags });
      await publish('./cmd/server', options(['latest']));
      await goRuns();
      const seen = (await cache.requests()).length;
      b.events.length = 0;
      assert.equal((await publish('./cmd/server', options(['again']))).digest, digest);
      assert.deepEqual((await cache.requests()).slice(seen), [], 'the cache registry saw nothing');
      assert.deepEqual(await goRuns(), []);
      assert.deepEqual(
        b.events.map((e) => e.type),
        built.events.map((e) => e.type),
        'the same events in the same order',
      );
      // The record names the blob in B's store: gone from there, the record does not answer.
      const layer = b.events.find((e) => e.type === 'layer:cached');
      assert.ok(layer?.type === 'layer:cached');
      await rm(join(b.root, 'tsko-cache', 'blobs', 'sha256', layer.digest.slice('sha256:'.length)));
      b.events.length = 0;
      assert.equal((await publish('./cmd/server', options(['once-more']))).digest, digest);
      assert.deepEqual(outcome(b.events), ['build:reused', 'layer:cached', 'shared-cache:hit'], 'the cache was asked');
    } finally {
      await cache.stop();
    }
  });

  it('does not answer from the record once a source file is edited: go build runs, a fresh build’s digest', async () => {
    const { cache, repo, digest } = await cacheWithBuild();
    try {
      // Warm Go caches: the point is which build runs, not how long it takes.
      const b = await machine(repo, true);
      await publish('./cmd/server', b.options());
      assert.deepEqual(outcome(b.events), ['build:reused', 'layer:cached', 'shared-cache:hit']);
      await goRuns();
      const file = join(b.dir, 'cmd/server/main.go');
      await writeFile(file, (await readFile(file, 'utf8')).replace('"dev"', '"edited on B"'));
      b.events.length = 0;
      const edited = await publish('./cmd/server', b.options({ buildCache: { repo, write: false } }));
      assert.ok(
        (await goRuns()).some((r) => r.startsWith('build ')),
        'go build ran',
      );
      assert.ok(!b.events.some((e) => e.type === 'build:reused'));
      assert.deepEqual(
        cacheEvents(b.events).map((e) => `${e.result}: ${e.reason}`),
        ['miss: an input differs from the record'],
      );
      const { buildCache: _, onEvent: __, ...plain } = b.options({ cacheDir: join(b.root, 'fresh-cache') });
      const fresh = await build('./cmd/server', plain);
      assert.equal(edited.digest, fresh.image.digest);
      assert.notEqual(edited.digest, digest);
    } finally {
      await cache.stop();
    }
  });

  it('stamps the paths go list -deps names for the build, VCS markers included', async () => {
    // No -buildvcs=false: Go may stamp a repository, so the markers above the package are inputs.
    const vcs = { GOFLAGS: '-modcacherw' };
    const { cache, repo, digest } = await cacheWithBuild(vcs);
    try {
      const b = await machine(repo, true, vcs);
      assert.equal((await publish('./cmd/server', b.options())).digest, digest);
      assert.ok(cacheEvents(b.events).some((e) => e.result === 'hit'));
      const recordDir = join(b.root, 'tsko-cache', 'inputs-v1');
      const records = await Promise.all(
        (await readdir(recordDir)).map(async (f) => JSON.parse(await readFile(join(recordDir, f), 'utf8'))),
      );
      const builds = records.filter((r) => r.binary);
      assert.equal(builds.length, 1);
      const stamped = (builds[0].inputs as { path: string }[]).map((s) => s.path).sort();
      const listed = await listBuildInputs({
        program: wrapper,
        importPath: 'example.com/app/cmd/server',
        dir: b.dir,
        env: goBuildEnv(AMD64, b.env, []),
        flags: [],
        vcs: true,
        signal: undefined,
      });
      assert.ok('paths' in listed, JSON.stringify(listed));
      assert.deepEqual(stamped, [...new Set(listed.paths)].sort());
      assert.ok(stamped.some((p) => p.endsWith('/.git')));
      assert.equal(records.filter((r) => r.pkg).length, 1, 'and the resolution was recorded');
    } finally {
      await cache.stop();
    }
  });

  it('does not take the kept layer for a build that makes its layer otherwise (linux_capabilities)', async () => {
    const { cache, repo, digest } = await cacheWithBuild();
    try {
      const b = await machine(repo, true);
      await publish('./cmd/server', b.options({ buildCache: { repo, write: false } }));
      assert.ok(cacheEvents(b.events).some((e) => e.result === 'hit'));
      await goRuns();
      const configPath = join(b.root, 'caps.ko.yaml');
      await writeFile(
        configPath,
        'builds:\n- id: server\n  main: ./cmd/server\n  linux_capabilities: net_bind_service\n',
      );
      b.events.length = 0;
      const caps = await publish('./cmd/server', b.options({ buildCache: { repo, write: false }, configPath }));
      assert.ok(!b.events.some((e) => e.type === 'build:reused'));
      assert.ok((await goRuns()).some((r) => r.startsWith('build ')));
      const { buildCache: _, onEvent: __, ...plain } = b.options({ cacheDir: join(b.root, 'fresh-cache'), configPath });
      assert.equal(caps.digest, (await build('./cmd/server', plain)).image.digest);
      assert.notEqual(caps.digest, digest);
    } finally {
      await cache.stop();
    }
  });
});

function cacheEvents(events: Event[]): CacheEvent[] {
  return events.filter((e): e is CacheEvent => e.type === 'build:shared-cache');
}
