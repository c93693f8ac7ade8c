import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTskoError, pullImage, pushImage, RegistrySession, sha256, type RegistryEvent } from '@tsko/registry';
import { CLOSED_PORT, skopeoRaw, startFaultProxy, startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';

const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };
const fast = { env, retry: { baseDelayMs: 20, maxDelayMs: 200 } };

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('failures are typed, bounded and lose nothing', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('plain');
  });
  after(() => registry?.stop());

  it('a blob corrupted in the registry storage fails with TSKO_DIGEST_MISMATCH', async () => {
    const image = await testImage('corrupt', undefined, 1);
    await pushImage(image, `${registry.host}/c/app:1`, fast);
    const layer = image.layers[0]!;
    const hex = layer.digest.slice('sha256:'.length);
    // Same size, different bytes: only a hash check can catch this.
    await writeFile(
      join(registry.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'),
      Buffer.alloc(layer.size, 0x61),
    );
    const pulled = await pullImage(`${registry.host}/c/app:1`, fast);
    await assert.rejects(
      drain(await pulled.layers[0]!.open()),
      (err: unknown) => isTskoError(err, 'TSKO_DIGEST_MISMATCH') && err.message.includes(layer.digest),
    );
  });

  it('a registry that is not running gives TSKO_REGISTRY_UNAVAILABLE within seconds', async () => {
    const port = CLOSED_PORT;
    const started = Date.now();
    await assert.rejects(
      pullImage(`127.0.0.1:${port}/x/y:1`, fast),
      (err: unknown) => isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') && /ECONNREFUSED/.test(err.message),
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('retries 503 and 429 answers, honouring Retry-After, then succeeds', async () => {
    // The proxy is a test double: distribution cannot be told to fail on demand.
    const proxy = await startFaultProxy(registry.host, [
      { match: (r) => r.method === 'HEAD' && r.url!.includes('/blobs/'), times: 2, action: { status: 503 } },
      {
        match: (r) => r.method === 'PUT' && r.url!.includes('/manifests/'),
        times: 1,
        action: { status: 429, retryAfter: '0' },
      },
    ]);
    try {
      const image = await testImage('retry', undefined, 1);
      const events: RegistryEvent[] = [];
      const result = await pushImage(image, `${proxy.host}/r/app:1`, { ...fast, onEvent: (e) => events.push(e) });
      assert.equal(result.digest, image.digest);
      const retries = events.filter((e) => e.type === 'request:retry');
      assert.deepEqual(retries.map((e) => e.type === 'request:retry' && e.reason).sort(), [
        'HTTP 429',
        'HTTP 503',
        'HTTP 503',
      ]);
      assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/r/app:1`)), image.digest);
    } finally {
      await proxy.close();
    }
  });

  it('takes a 403 to the HEAD of a manifest not there yet as absent, and pushes (Artifactory answers so)', async () => {
    // The proxy is a test double: distribution answers 404 here, never 403.
    const proxy = await startFaultProxy(registry.host, [
      { match: (r) => r.method === 'HEAD' && r.url!.includes('/manifests/'), times: 10, action: { status: 403 } },
    ]);
    try {
      const image = await testImage('head-403', undefined, 1);
      const result = await pushImage(image, `${proxy.host}/r/head403:1`, fast);
      assert.equal(result.digest, image.digest);
      assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/r/head403:1`)), image.digest);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a registry that keeps failing, with the status in the error', async () => {
    const proxy = await startFaultProxy(registry.host, [
      { match: (r) => r.url!.includes('/manifests/'), times: 100, action: { status: 502 } },
    ]);
    try {
      await assert.rejects(
        pullImage(`${proxy.host}/r/app:1`, fast),
        (err: unknown) => isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') && err.status === 502,
      );
      assert.equal(
        proxy.seen.filter((s) => s.includes('/manifests/')).length,
        6,
        'one try and five retries (the default policy)',
      );
    } finally {
      await proxy.close();
    }
  });

  it('restarts the whole upload session when the connection resets mid-PATCH', async () => {
    const proxy = await startFaultProxy(registry.host, [
      { match: (r) => r.method === 'PATCH', times: 1, action: 'reset' },
    ]);
    try {
      const image = await testImage('reset', undefined, 1);
      const result = await pushImage(image, `${proxy.host}/reset/app:1`, { ...fast, concurrency: 1 });
      assert.equal(result.digest, image.digest);
      const posts = proxy.seen.filter((s) => s.startsWith('POST'));
      assert.equal(posts.length, 3, `a new session was opened for the failed blob: ${posts.join(', ')}`);
      assert.equal(sha256(await skopeoRaw(registry, `${registry.host}/reset/app:1`)), image.digest);
    } finally {
      await proxy.close();
    }
  });

  it('refuses plain HTTP to a registry that is not loopback unless it is listed as insecure', async () => {
    // [::ffff:7f00:1] is 127.0.0.1 spelt as an IPv4-mapped IPv6 address: it reaches the local
    // registry but is not a loopback name, so it stands for any remote host here.
    const port = registry.host.split(':')[1];
    const host = `[::ffff:7f00:1]:${port}`;
    await assert.rejects(pullImage(`${host}/c/app:1`, fast), (err: unknown) =>
      isTskoError(err, 'TSKO_INSECURE_REGISTRY'),
    );
    const image = await pullImage(`${host}/c/app:1`, { ...fast, insecure: [host] });
    assert.equal(image.layers.length, 1);
  });

  it('an AbortSignal stops a push with TSKO_ABORTED', async () => {
    const controller = new AbortController();
    const image = await testImage('abort', undefined, 3);
    await assert.rejects(
      pushImage(image, `${registry.host}/abort/app:1`, {
        ...fast,
        signal: controller.signal,
        onEvent: (e) => e.type === 'blob:uploading' && controller.abort(),
      }),
      (err: unknown) => isTskoError(err, 'TSKO_ABORTED'),
    );
    const tags = (await (await fetch(`http://${registry.host}/v2/abort/app/tags/list`)).json()) as {
      tags: string[] | null;
    };
    assert.ok(!tags.tags?.includes('1'), 'no manifest was pushed');
  });
});

describe('redirects never carry credentials to another host', () => {
  it('drops Authorization when a blob GET redirects elsewhere, and still verifies the bytes', async () => {
    // Test doubles: distribution's filesystem driver never redirects, but S3/GCS-backed
    // registries answer blob GETs with 307 to storage on another host.
    const data = Buffer.from('blob bytes served by storage');
    const digest = sha256(data);
    const storageSeen: IncomingHttpHeaders[] = [];
    const storage = createServer((req, res) => {
      storageSeen.push(req.headers);
      res.end(data);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.2', r));
    const storagePort = (storage.address() as { port: number }).port;
    const registrySeen: (string | undefined)[] = [];
    const fakeRegistry = createServer((req, res) => {
      registrySeen.push(req.headers.authorization);
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      } else if (req.url === '/v2/') {
        res.end('{}');
      } else {
        res.writeHead(307, { location: `http://127.0.0.2:${storagePort}/bucket/${digest}?sig=x` }).end();
      }
    });
    await new Promise<void>((r) => fakeRegistry.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(fakeRegistry.address() as { port: number }).port}`;
    try {
      const session = new RegistrySession({ ...fast, credentials: { [host]: { username: 'u', password: 'p' } } });
      const body = await drain(await session.client(host).getBlob('team/app', digest, data.length));
      assert.deepEqual(body, data);
      assert.equal(storageSeen.length, 1);
      assert.equal(storageSeen[0]!.authorization, undefined, 'credentials followed the redirect');
      assert.ok(
        registrySeen.some((a) => a?.startsWith('Basic ')),
        'the registry itself did get credentials',
      );
      await session.close();
    } finally {
      storage.close();
      fakeRegistry.close();
    }
  });
});
