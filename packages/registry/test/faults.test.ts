import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  appendLayers,
  isTskoError,
  pullImage,
  pushImage,
  sha256,
  streamLayer,
  type RegistryEvent,
} from '@tsko/registry';
import {
  FAULT_KINDS,
  skopeoRaw,
  startBlackHole,
  startFaultProxy,
  startRegistry,
  tarLayer,
  testImage,
  type LoggedRequest,
  type TestRegistry,
} from '@tsko/test-rig';

// The fault proxy is a test double: distribution cannot be told to fail on demand. Behind it
// runs the real registry, and every result is read back from it with skopeo.
const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };
/** Default attempts and timeouts; only the back-off is shortened so the suite stays quick. */
const fast = { env, retry: { baseDelayMs: 10, maxDelayMs: 100 } };
/** The fault proxy's seed: TSKO_FAULT_SEED=N replays another run's faults. */
const SEED = Number(process.env.TSKO_FAULT_SEED ?? 7);

/**
 * Upload sessions the registry could still resume. distribution 2.8 keeps a session while its
 * `startedat` file exists; its DELETE removes that and the data but leaves a `hashstates`
 * folder behind (rewritten when the handler closes), which no request can resume.
 */
async function uploadsLeftOpen(registry: TestRegistry, repository: string): Promise<string[]> {
  const root = join(registry.dataDir, 'docker/registry/v2/repositories', repository, '_uploads');
  let sessions: string[];
  try {
    sessions = await readdir(root);
  } catch {
    return [];
  }
  const open: string[] = [];
  for (const id of sessions) if ((await readdir(join(root, id))).includes('startedat')) open.push(id);
  return open;
}

/** The registry's access log lines under `path`, once `done` holds for them (or after 3 s). */
async function loggedEventually(
  registry: TestRegistry,
  path: string,
  done: (log: LoggedRequest[]) => boolean,
): Promise<LoggedRequest[]> {
  const until = Date.now() + 3000;
  for (;;) {
    const log = (await registry.requests()).filter((r) => r.path.includes(path));
    if (done(log) || Date.now() > until) return log;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('faults heal', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('plain');
  });
  after(() => registry?.stop());

  it('20 of 20 pushes succeed through a proxy failing 20% of requests with every kind of fault', async () => {
    const base = await testImage('chaos-base', undefined, 2);
    await pushImage(base, `${registry.host}/chaos/base:1`, fast);
    const proxy = await startFaultProxy(registry.host, [], { rate: 0.2, seed: SEED, stallMs: 150, retryAfter: '1' });
    try {
      const pushed: { tag: string; digest: string }[] = [];
      for (let i = 0; i < 20; i++) {
        // The base comes through the proxy too (manifest, config); its layers are mounted.
        const from = await pullImage(`${proxy.host}/chaos/base:1`, fast);
        const image = appendLayers(from, [
          { layer: await tarLayer({ [`app-${i}.txt`]: randomBytes(96 * 1024).toString('base64') }) },
        ]);
        const result = await pushImage(image, `${proxy.host}/chaos/app${i}:v1`, fast);
        assert.equal(result.digest, image.digest);
        pushed.push({ tag: `chaos/app${i}:v1`, digest: image.digest });
      }
      const kinds = new Set(proxy.faults.map((f) => f.split(' ')[0]));
      for (const kind of FAULT_KINDS)
        assert.ok(kinds.has(kind), `fault kind ${kind} was injected (${[...kinds].join(', ')})`);
      assert.ok(
        proxy.faults.length >= proxy.seen.length * 0.12,
        `${proxy.faults.length} faults in ${proxy.seen.length} requests`,
      );
      for (const { tag, digest } of pushed)
        assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/${tag}`)), digest, tag);
    } finally {
      await proxy.close();
    }
  });

  it('a lost answer to the final upload PUT does not fail the push: the stored blob is found', async () => {
    const proxy = await startFaultProxy(registry.host, [
      {
        match: (r) => r.method === 'PUT' && r.url!.includes('/blobs/uploads/') && r.url!.includes('digest='),
        times: 1,
        action: 'drop-response',
      },
    ]);
    try {
      const image = await testImage('lost-put', undefined, 1);
      const result = await pushImage(image, `${proxy.host}/lost/app:1`, { ...fast, concurrency: 1 });
      assert.equal(result.digest, image.digest);
      const finals = (await registry.requests()).filter(
        (r) => r.method === 'PUT' && r.path.includes('/lost/app/blobs/uploads/'),
      );
      assert.deepEqual(
        finals.map((r) => r.status).slice(0, 2),
        [201, 404],
        'the registry stored the blob, then no longer knew the session',
      );
      assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/lost/app:1`)), image.digest);
    } finally {
      await proxy.close();
    }
  });

  it('an upload restart waits out the Retry-After of a 429 to its PATCH, and deletes the session it gives up', async () => {
    const proxy = await startFaultProxy(registry.host, [
      { match: (r) => r.method === 'PATCH', times: 1, action: { status: 429, retryAfter: '1' } },
    ]);
    try {
      const image = await testImage('slow-down', undefined, 1);
      const events: RegistryEvent[] = [];
      const started = Date.now();
      const result = await pushImage(image, `${proxy.host}/slow/app:1`, {
        env,
        concurrency: 1,
        onEvent: (e) => events.push(e),
      });
      assert.equal(result.digest, image.digest);
      const restarts = events.flatMap((e) => (e.type === 'request:retry' && e.method === 'PATCH' ? [e] : []));
      assert.equal(restarts.length, 1);
      assert.equal(restarts[0]!.delayMs, 1000);
      assert.match(restarts[0]!.reason, /429/);
      assert.ok(Date.now() - started >= 1000, 'the push waited');
      const refused = proxy.seen
        .find((l) => l.startsWith('PATCH'))!
        .split(' ')[1]!
        .split('?')[0];
      assert.ok(
        proxy.seen.some((l) => l.startsWith(`DELETE ${refused}`)),
        'the refused session was deleted',
      );
      assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/slow/app:1`)), image.digest);
    } finally {
      await proxy.close();
    }
  });

  it('a registry that accepts connections and never answers fails typed within the default budget', async () => {
    const hole = await startBlackHole();
    try {
      const started = Date.now();
      await assert.rejects(
        pullImage(`${hole.host}/hung/app:1`, { env }),
        (err: unknown) => isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') && err.message.includes(hole.host),
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
      assert.ok(hole.connections() >= 1);
    } finally {
      await hole.close();
    }
  });

  it('a shorter timeouts.requestMs bounds a hung registry accordingly', async () => {
    const hole = await startBlackHole();
    try {
      const started = Date.now();
      await assert.rejects(
        pushImage(await testImage('hung', undefined, 1), `${hole.host}/hung/app:1`, {
          env,
          timeouts: { requestMs: 1500 },
        }),
        (err: unknown) => isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE'),
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1400 && elapsed < 4000, `took ${elapsed} ms`);
    } finally {
      await hole.close();
    }
  });

  it('bad timeouts and retry values are typed errors naming the field', async () => {
    await assert.rejects(
      pushImage(await testImage('bad', undefined, 1), `${registry.host}/bad/app:1`, {
        env,
        timeouts: { connectMs: -1 },
      }),
      (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT') && err.message.includes('timeouts.connectMs'),
    );
    await assert.rejects(
      pushImage(await testImage('bad', undefined, 1), `${registry.host}/bad/app:1`, {
        env,
        retry: { attempts: Number.NaN },
      }),
      (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT') && err.message.includes('retry.attempts'),
    );
  });

  /** An image whose last layer sends `sent` bytes, then stalls until the push is aborted. */
  async function stallingImage(seed: string, sent: number, controller: AbortController) {
    const bytes = randomBytes(2 << 20);
    const digest = sha256(bytes);
    const stuck = streamLayer({ digest, diffId: digest, size: bytes.length }, async () => {
      setTimeout(() => controller.abort(), 300);
      const stream = new Readable({ read() {} });
      if (sent > 0) stream.push(bytes.subarray(0, sent));
      return stream;
    });
    return appendLayers(await testImage(seed, undefined, 1), [{ layer: stuck }]);
  }

  it('an aborted push DELETEs the upload session it had open and leaves none behind', async () => {
    const controller = new AbortController();
    const image = await stallingImage('abort-open', 0, controller);
    await assert.rejects(
      pushImage(image, `${registry.host}/aborted/app:1`, { ...fast, signal: controller.signal }),
      (err: unknown) => isTskoError(err, 'TSKO_ABORTED'),
    );
    const log = await loggedEventually(registry, '/aborted/app/blobs/uploads/', (l) =>
      l.some((r) => r.method === 'DELETE'),
    );
    assert.ok(
      log.some((r) => r.method === 'DELETE' && r.status === 204),
      `its session was deleted: ${log.map((r) => `${r.method} ${r.status}`).join(', ')}`,
    );
    assert.deepEqual(await uploadsLeftOpen(registry, 'aborted/app'), []);
  });

  it('an aborted push also DELETEs a session whose PATCH was cut halfway', async () => {
    // distribution 2.8 cannot honour this one: it checks the session's offset (now 1 MiB)
    // against the one in the URL's signed state (0), and its cancel on that path runs after
    // it closed the writer, so the files stay until its own purge. The request still goes out.
    const controller = new AbortController();
    const image = await stallingImage('abort-half', 1 << 20, controller);
    await assert.rejects(
      pushImage(image, `${registry.host}/aborted-half/app:1`, { ...fast, signal: controller.signal }),
      (err: unknown) => isTskoError(err, 'TSKO_ABORTED'),
    );
    // The registry logs the cut PATCH when its handler gives up, which may come a little later.
    const log = await loggedEventually(
      registry,
      '/aborted-half/app/blobs/uploads/',
      (l) => l.some((r) => r.method === 'PATCH' && r.status !== 202) && l.some((r) => r.method === 'DELETE'),
    );
    const session = log.find((r) => r.method === 'PATCH' && r.status !== 202)!.path.split('?')[0];
    assert.ok(
      log.some((r) => r.method === 'DELETE' && r.path.split('?')[0] === session),
      'a DELETE for the cut session was sent',
    );
  });
});

describe('a base layer copied between two registries survives a reset mid-download', () => {
  let from: TestRegistry;
  let to: TestRegistry;
  before(async () => {
    [from, to] = await Promise.all([startRegistry('plain'), startRegistry('plain')]);
  });
  after(async () => {
    await from?.stop();
    await to?.stop();
  });

  it('resumes the download with a Range request and pushes a digest-correct copy', async () => {
    const layer = await tarLayer({ 'big.bin': randomBytes(512 * 1024).toString('base64') });
    const image = appendLayers(await testImage('copied', undefined, 0), [{ layer }]);
    await pushImage(image, `${from.host}/base/big:1`, fast);
    const proxy = await startFaultProxy(from.host, [
      {
        match: (r) => r.method === 'GET' && r.url!.endsWith(`/blobs/${layer.digest}`),
        times: 2,
        action: 'reset-response',
      },
    ]);
    try {
      const pulled = await pullImage(`${proxy.host}/base/big:1`, fast);
      const result = await pushImage(pulled, `${to.host}/copy/big:1`, fast);
      assert.equal(result.digest, image.digest);
      const gets = (await from.requests()).filter(
        (r) => r.method === 'GET' && r.path.endsWith(`/blobs/${layer.digest}`),
      );
      assert.deepEqual(
        gets.map((r) => r.status),
        [200, 206, 206],
        'the first answer broke off, then two resumed ones (the second complete)',
      );
      const copied = await fetch(`http://${to.host}/v2/copy/big/blobs/${layer.digest}`);
      assert.equal(sha256(Buffer.from(await copied.arrayBuffer())), layer.digest);
      assert.equal(sha256(await skopeoRaw(to, `${to.host}/copy/big:1`)), image.digest);
    } finally {
      await proxy.close();
    }
  });
});
