import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPublisher, isTskoError, type PublishResult } from '@tsko/core';
import { sha256 } from '@tsko/registry';
import { skopeoRaw, startRegistry, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, pushBaseIndex, testEnvironment } from './helpers.js';

/**
 * A TCP relay in front of the registry that counts the connections open through it, so a test
 * can see the publisher's registry session (its connection pool) close. Loopback only.
 */
async function startRelay(target: string): Promise<{ host: string; open: () => number; stop: () => Promise<void> }> {
  const [host, port] = target.split(':') as [string, string];
  const live = new Set<Socket>();
  const server: Server = createServer((client) => {
    live.add(client);
    const upstream = connect(Number(port), host);
    client.pipe(upstream).pipe(client);
    const end = () => {
      live.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as { port: number };
  return {
    host: `127.0.0.1:${address.port}`,
    open: () => live.size,
    stop: () => {
      for (const s of live) s.destroy();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

/**
 * Waits for the relay's connections to end. Connection pools are the process's, shared with
 * later calls (client/shared-agents.ts): a closed publisher leaves its idle sockets to close
 * by themselves after the 4 s keep-alive, so this allows 6 s.
 */
async function settle(open: () => number): Promise<number> {
  for (let i = 0; i < 120 && open() > 0; i++) await new Promise((ok) => setTimeout(ok, 50));
  return open();
}

describe('a publisher ends its registry session when it ends', () => {
  let registry: TestRegistry;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let baseRef: string;
  let dir: string;
  before(async () => {
    registry = await startRegistry('plain');
    await pushBaseIndex(registry);
    relay = await startRelay(registry.host);
    baseRef = `${relay.host}/base/static:v1`;
    dir = await mkdtemp(join(tmpdir(), 'tsko-dispose-'));
  });
  after(async () => {
    await relay?.stop();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const options = (refsFile: string) => ({
    dir: FIXTURE,
    repo: `${relay.host}/team`,
    baseImage: baseRef,
    platforms: ['linux/amd64'],
    cacheDir: false as const,
    imageRefsFile: join(dir, refsFile),
    environment: testEnvironment(),
  });

  it('`await using` publishes, then writes imageRefsFile, refuses more work, and leaves no connection open for long', async () => {
    let result: PublishResult;
    let publisher: Awaited<ReturnType<typeof createPublisher>>;
    {
      await using p = await createPublisher(options('refs.txt'));
      publisher = p;
      result = await p.publish('./cmd/server');
      assert.ok(relay.open() > 0, 'the session keeps its connections to the registry while the publisher is open');
    }
    assert.equal(await settle(relay.open), 0, 'every registry connection is closed within seconds of the block');
    assert.equal(
      sha256(await skopeoRaw(registry, `${registry.host}/${result.ref.slice(relay.host.length + 1)}`)),
      result.digest,
    );
    assert.equal(await readFile(join(dir, 'refs.txt'), 'utf8'), `${result.imageRefs.join('\n')}\n`);
    await assert.rejects(publisher.publish('./cmd/server'), (e: unknown) => isTskoError(e, 'TSKO_INVALID_ARGUMENT'));
    await publisher.close(); // a second close is harmless
  });

  it('ends the session when the block ends by an error', async () => {
    await assert.rejects(
      async () => {
        await using p = await createPublisher(options('refs-failed.txt'));
        await p.publish('./cmd/server');
        assert.ok(relay.open() > 0, 'the publish keeps its connections open for the next one');
        await p.publish('./cmd/broken');
      },
      (e: unknown) => isTskoError(e, 'TSKO_BUILD_FAILED'),
    );
    assert.equal(await settle(relay.open), 0);
  });
});
