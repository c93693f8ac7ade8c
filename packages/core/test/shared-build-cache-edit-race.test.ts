import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, publish, type CoreEvent } from '@tsko/core';
import { pullArtifact, type RegistryEvent } from '@tsko/registry';
import { type FaultProxy, startFaultProxy, startRegistry, type TestRegistry } from '@tsko/test-rig';
import { fixtureMachine, loggedGo } from './go-machines.js';

type CacheEvent = Extract<CoreEvent | RegistryEvent, { type: 'build:shared-cache' }>;
const RECORD = 'application/vnd.tsko.build.v1+json';

/*
 * A shared-cache hit hashes the project's inputs when it reads the record, copies the binary
 * layer, and only then stamps the inputs for its local record. Machine B reads the cache
 * through a proxy that holds the layer's GET; while it is held, B's main.go is edited. The
 * hit stands (the sources matched when they were read), but the stamps now describe the
 * edited file: recording them against the shared binary would answer B's next publish with
 * a binary built from other sources. The next publish must compile the edit instead.
 */
describe('shared build cache: a source edited while a hit is copied is not recorded against it', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy | undefined;
  let work: string;
  let go: Awaited<ReturnType<typeof loggedGo>>;

  before(async () => {
    registry = await startRegistry('plain');
    work = await mkdtemp(join(tmpdir(), 'tsko-shared-race-'));
    go = await loggedGo(work);
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('answers the publish during the edit from the cache, and compiles the edit on the next one', async () => {
    const cacheRepo = `${registry.host}/team/tsko-build-cache`;
    const machine = (name: string, repo: string) =>
      fixtureMachine({
        root: join(work, name),
        repo: `${registry.host}/apps`,
        cacheRepo: repo,
        goBinary: go.wrapper,
        warm: true,
      });
    const a = await machine('a', cacheRepo);
    const published = await publish('./cmd/server', a.options({ push: false }));
    const stored = cacheEvents(a.events).find((e) => e.result === 'stored');
    assert.ok(stored?.tag, 'machine A stored its build');
    const artifact = await pullArtifact(`${cacheRepo}:${stored.tag}`, { configMediaType: RECORD });
    const layerDigest = artifact!.manifest.layers[0]!.digest;

    let arrived!: () => void;
    const layerAsked = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const b = await machine('b', cacheRepo);
    const edited = layerAsked.then(() =>
      appendFile(join(b.dir, 'cmd/server/main.go'), '\nfunc init() { println("edited during the copy") }\n'),
    );
    proxy = await startFaultProxy(registry.host, [
      {
        match: (r) => {
          const layer = r.method === 'GET' && (r.url ?? '').endsWith(`/blobs/${layerDigest}`);
          if (layer) arrived();
          return layer;
        },
        times: 1,
        action: { heldUntil: edited },
      },
    ]);
    const options = b.options({ push: false, buildCache: { repo: cacheRepo.replace(registry.host, proxy.host) } });
    await go.runs();

    const during = await publish('./cmd/server', options);
    assert.equal(proxy.faults.length, 1, 'the layer was copied through the held GET');
    assert.deepEqual(
      cacheEvents(b.events).map((e) => e.result),
      ['resolved', 'hit'],
    );
    assert.equal(during.digest, published.digest, 'answered by the build of the sources as they were read');
    assert.ok(!(await go.runs()).some((l) => l.startsWith('build ')));

    const next = await publish('./cmd/server', options);
    const { buildCache: _, onEvent: __, ...plain } = b.options({ cacheDir: join(b.root, 'fresh-cache') });
    const fresh = (await build('./cmd/server', plain)).image.digest;
    assert.notEqual(next.digest, published.digest, 'not answered by the binary of the sources before the edit');
    assert.equal(next.digest, fresh, "a fresh build's digest of the edited sources");
    assert.equal(
      (await go.runs()).filter((l) => l.startsWith('build ')).length,
      2,
      'the next publish, the fresh build',
    );
  });
});

function cacheEvents(events: readonly (CoreEvent | RegistryEvent)[]): CacheEvent[] {
  return events.filter((e): e is CacheEvent => e.type === 'build:shared-cache');
}
