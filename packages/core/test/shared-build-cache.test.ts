import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, publish, type CoreEvent, type PublishOptions } from '@tsko/core';
import { pullArtifact, pushArtifact, type RegistryEvent } from '@tsko/registry';
import { CLOSED_PORT, startRegistry, type TestRegistry } from '@tsko/test-rig';
import { fixtureMachine, loggedGo } from './go-machines.js';

type Event = CoreEvent | RegistryEvent;
type CacheEvent = Extract<Event, { type: 'build:shared-cache' }>;
const RECORD = 'application/vnd.tsko.build.v1+json';

/*
 * Machine A publishes the fixture server with the shared build cache; "machine B" is the same
 * project copied to another folder with an empty tsko cache, an empty GOCACHE and GOMODCACHE,
 * and GOPROXY=off (the fixture has no module dependencies). `go` on B is a wrapper that logs
 * each run, and an empty GOCACHE afterwards is the proof that nothing was compiled.
 */
describe('shared build cache: an unchanged program on a fresh machine is not compiled', () => {
  let registry: TestRegistry;
  let work: string;
  let cacheRepo: string;
  let go: Awaited<ReturnType<typeof loggedGo>>;
  let wrapper: string;
  let n = 0;

  /** A fresh "machine": the project copied afresh, its own caches (GOCACHE empty unless `warm`). */
  const machine = (warm = false) =>
    fixtureMachine({
      root: join(work, `m${++n}`),
      repo: `${registry.host}/apps-${n}`,
      cacheRepo,
      goBinary: wrapper,
      warm,
    });
  const goRuns = () => go.runs();
  /** The image digest a build without any cache gives for the same tree and options. */
  const freshDigest = async (m: Awaited<ReturnType<typeof machine>>, extra: PublishOptions = {}) => {
    const { buildCache: _, onEvent: __, ...plain } = m.options({ cacheDir: join(m.root, 'fresh-cache'), ...extra });
    return (await build('./cmd/server', plain)).image.digest;
  };
  let published: string;
  let storedTag: string;

  before(async () => {
    registry = await startRegistry('plain');
    cacheRepo = `${registry.host}/team/tsko-build-cache`;
    work = await mkdtemp(join(tmpdir(), 'tsko-shared-'));
    go = await loggedGo(work);
    wrapper = go.wrapper;
    // Machine A: the rig's warm Go caches; it builds, pushes the image, stores the build.
    const a = await machine(true);
    const result = await publish('./cmd/server', a.options({ repo: `${registry.host}/apps` }));
    published = result.digest;
    const stored = cacheEvents(a.events).find((e) => e.result === 'stored');
    assert.ok(stored?.tag, `machine A stored its build: ${JSON.stringify(cacheEvents(a.events))}`);
    storedTag = stored.tag;
    await goRuns();
  });
  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('publishes the same digest on a fresh machine without go list or go build, mounting the layer', async () => {
    const b = await machine();
    const started = Date.now();
    const result = await publish('./cmd/server', b.options());
    const took = Date.now() - started;
    assert.equal(result.digest, published);
    const runs = await goRuns();
    assert.deepEqual(
      runs.filter((r) => !r.startsWith('env -json')),
      [],
      `only go env ran on B: ${runs.join(' | ')}`,
    );
    assert.deepEqual(await readdir(join(b.root, 'gocache')), [], 'GOCACHE stays empty: nothing was compiled');
    assert.deepEqual(await readdir(join(b.root, 'gomod')), [], 'GOMODCACHE stays empty');
    const results = cacheEvents(b.events).map((e) => e.result);
    assert.deepEqual(results, ['resolved', 'hit']);
    const mounted = b.events.filter((e) => e.type === 'blob:mounted');
    assert.equal(mounted.length, 1, 'the binary layer was mounted from the cache repository');
    assert.equal(mounted[0]!.type === 'blob:mounted' && mounted[0]!.from, 'team/tsko-build-cache');
    const mounts = (await registry.requests()).filter(
      (r) => r.method === 'POST' && r.path.startsWith(`/v2/apps-${n}/`) && r.path.includes('from=team'),
    );
    assert.equal(mounts.length, 1);
    assert.equal(mounts[0]!.status, 201, 'the registry mounted it');
    assert.ok(took < 5_000, `took ${took} ms`);
  });

  it('shares each platform of an index: two hits, one resolution, the same index digest', async () => {
    const platforms = ['linux/amd64', 'linux/arm64'];
    const a = await machine(true);
    const first = await publish('./cmd/server', a.options({ platforms }));
    assert.equal(cacheEvents(a.events).filter((e) => e.result === 'stored').length, 1, 'amd64 was stored before');
    await goRuns();
    const b = await machine();
    const again = await publish('./cmd/server', b.options({ platforms }));
    assert.equal(again.digest, first.digest);
    assert.deepEqual(
      cacheEvents(b.events)
        .map((e) => e.result)
        .sort(),
      ['hit', 'hit', 'resolved'],
    );
    assert.deepEqual(await readdir(join(b.root, 'gocache')), []);
    assert.deepEqual(
      (await goRuns()).filter((r) => !r.startsWith('env ')),
      [],
    );
  });

  it('writes the image to an OCI layout on a fresh machine, pulling the layer from the cache', async () => {
    const b = await machine();
    const layout = join(b.root, 'layout');
    const result = await publish('./cmd/server', b.options({ push: false, sinks: [{ type: 'layout', path: layout }] }));
    assert.equal(result.digest.split('@').pop(), published);
    assert.deepEqual(await readdir(join(b.root, 'gocache')), []);
    const blobs = await readdir(join(layout, 'blobs', 'sha256'));
    const artifact = await pullArtifact(`${cacheRepo}:${storedTag}`, { configMediaType: RECORD });
    assert.ok(blobs.includes(artifact!.manifest.layers[0]!.digest.slice('sha256:'.length)));
  });

  const missCases: [string, (m: Awaited<ReturnType<typeof machine>>) => Promise<PublishOptions>][] = [
    [
      'a source file is edited',
      async (m) => {
        const file = join(m.dir, 'cmd/server/main.go');
        await writeFile(file, (await readFile(file, 'utf8')).replace('"dev"', '"edited"'));
        return {};
      },
    ],
    [
      'a file is added to the package folder',
      async (m) => {
        await writeFile(join(m.dir, 'cmd/server/more.go'), 'package main\n\nfunc init() { println("more") }\n');
        return {};
      },
    ],
    ['the ldflags change', async () => ({ ldflags: ['-X main.version=v2'] })],
    ['GOAMD64 changes', async (m) => ({ environment: { ...m.env, GOAMD64: 'v2' } })],
    ['GOFLAGS change', async (m) => ({ environment: { ...m.env, GOFLAGS: `${m.env.GOFLAGS} -tags=extra` } })],
    [
      'go.mod changes',
      async (m) => {
        const file = join(m.dir, 'go.mod');
        await writeFile(file, (await readFile(file, 'utf8')).replace('go 1.19', 'go 1.21'));
        return {};
      },
    ],
  ];
  for (const [what, change] of missCases) {
    it(`misses and compiles when ${what}, giving a fresh build's digest`, async () => {
      const m = await machine(true);
      const extra = await change(m);
      const result = await build(
        './cmd/server',
        m.options({ ...extra, buildCache: { repo: cacheRepo, write: false } }),
      );
      assert.ok(
        (await goRuns()).some((r) => r.startsWith('build ')),
        'go build ran',
      );
      assert.ok(!cacheEvents(m.events).some((e) => e.result === 'hit'));
      assert.equal(result.image.digest, await freshDigest(m, extra));
      assert.notEqual(result.image.digest, published);
    });
  }

  it('misses when a record names a wrong hash, and with write: false pushes nothing', async () => {
    const artifact = await pullArtifact(`${cacheRepo}:${storedTag}`, { configMediaType: RECORD });
    const record = JSON.parse(artifact!.config.toString('utf8'));
    record.inputs['cmd/server/main.go'] = `sha256:${'0'.repeat(64)}`;
    const layer = artifact!.layer(artifact!.manifest.layers[0]!, record.diffId);
    const tampered = `${registry.host}/team/tampered`;
    await pushArtifact(`${tampered}:${storedTag}`, {
      configMediaType: RECORD,
      config: Buffer.from(JSON.stringify(record)),
      layers: [layer],
    });
    const seen = (await registry.requests()).length;
    const m = await machine(true);
    const result = await build('./cmd/server', m.options({ buildCache: { repo: tampered, write: false } }));
    const events = cacheEvents(m.events);
    assert.ok(events.some((e) => e.result === 'miss' && e.reason === 'an input differs from the record'));
    assert.ok((await goRuns()).some((r) => r.startsWith('build ')));
    assert.equal(result.image.digest, published, 'the compiled binary is the true one');
    const writes = (await registry.requests()).slice(seen).filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    assert.deepEqual(writes, [], 'write: false sends nothing but reads');
  });

  it('finds the build of a checkout that is not the latest record (branches taking turns)', async () => {
    // Another branch edits the program and stores its build under the same build tag.
    const other = await machine(true);
    const file = join(other.dir, 'cmd/server/main.go');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"dev"', '"branch"'));
    const repo = `${registry.host}/team/branches`;
    await build('./cmd/server', (await machine(true)).options({ buildCache: { repo } }));
    await build('./cmd/server', other.options({ buildCache: { repo } }));
    const stored = cacheEvents(other.events).find((e) => e.result === 'stored');
    const latest = await pullArtifact(`${repo}:${stored!.tag}`, { configMediaType: RECORD });
    const branchHash = JSON.parse(latest!.config.toString('utf8')).inputs['cmd/server/main.go'];
    const mainHash = JSON.parse(
      (await pullArtifact(`${cacheRepo}:${storedTag}`, { configMediaType: RECORD }))!.config.toString('utf8'),
    ).inputs['cmd/server/main.go'];
    assert.notEqual(branchHash, mainHash);
    await goRuns();
    // The unchanged program again, on a fresh machine: its record is no longer the latest.
    const b = await machine();
    const result = await build('./cmd/server', b.options({ buildCache: { repo } }));
    assert.equal(result.image.digest, published);
    assert.deepEqual(
      (await goRuns()).filter((r) => !r.startsWith('env ')),
      [],
    );
    assert.ok(cacheEvents(b.events).some((e) => e.result === 'hit'));
    assert.deepEqual(await readdir(join(b.root, 'gocache')), []);
  });

  it('compiles when the record is not a build record, and says so', async () => {
    const junk = `${registry.host}/team/junk`;
    const artifact = await pullArtifact(`${cacheRepo}:${storedTag}`, { configMediaType: RECORD });
    const layer = artifact!.layer(artifact!.manifest.layers[0]!, artifact!.manifest.layers[0]!.digest);
    await pushArtifact(`${junk}:${storedTag}`, {
      configMediaType: RECORD,
      config: Buffer.from('{"not":"a record"}'),
      layers: [layer],
    });
    const m = await machine(true);
    const result = await build('./cmd/server', m.options({ buildCache: { repo: junk, write: false } }));
    assert.equal(result.image.digest, published);
    assert.ok((await goRuns()).some((r) => r.startsWith('build ')));
    const failed = cacheEvents(m.events).find((e) => e.result === 'read-failed');
    assert.equal(failed?.reason, 'the artifact is not a tsko build record');
  });

  it('still publishes when the cache registry is unreachable', async () => {
    const m = await machine(true);
    const down = `127.0.0.1:${CLOSED_PORT}/cache`;
    const started = Date.now();
    const result = await publish('./cmd/server', m.options({ buildCache: { repo: down } }));
    assert.equal(result.digest, published);
    const events = cacheEvents(m.events);
    assert.equal(events.filter((e) => e.result === 'read-failed').length, 1, 'one failure turns the cache off');
    assert.ok(!events.some((e) => e.result === 'stored' || e.result === 'write-failed'));
    assert.ok(Date.now() - started < 30_000);
  });
});

function cacheEvents(events: Event[]): CacheEvent[] {
  return events.filter((e): e is CacheEvent => e.type === 'build:shared-cache');
}
