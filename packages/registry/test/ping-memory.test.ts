import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTskoError, pullImage, pushImage, type Image, type RegistryOptions } from '@tsko/registry';
import {
  startConnectionCounter,
  startFaultProxy,
  startRegistry,
  testImage,
  type FaultRule,
  type TestRegistry,
} from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

// A registry's `/v2/` ping is remembered across calls for a few minutes (api-base.ts). A
// failure forgets it only when it says the registry's answer to `/v2/` may have changed: the
// connection failed, the registry failed (5xx), or it challenged in a new way. An answer about
// one repository (404, 403, a denied scope, rejected credentials) keeps it. Pings are counted
// at a fault proxy in front of a real registry (a new proxy is a new host, so nothing is
// remembered for it yet) or in the registry's own access log.

describe('the remembered ping, after a failed call', () => {
  let plain: TestRegistry;
  let htpasswd: TestRegistry;
  let token: TestRegistry;
  let tls: TestRegistry;
  let image: Image;
  before(async () => {
    [plain, htpasswd, token, tls] = await Promise.all([
      startRegistry('plain'),
      startRegistry('htpasswd'),
      startRegistry('token'),
      startRegistry('tls'),
    ]);
    image = await testImage('ping-memory', undefined, 1);
  });
  after(() => Promise.all([plain?.stop(), htpasswd?.stop(), token?.stop(), tls?.stop()]));

  const options: RegistryOptions = { env: { HOME: '/nonexistent-tsko-home' }, retry: { attempts: 1 } };

  /** A fault proxy in front of the plain registry, with one call already through it. */
  async function proxied(rules: FaultRule[]) {
    const proxy = await startFaultProxy(plain.host, rules);
    await pushImage(image, `${proxy.host}/team/memory:1`, options);
    const pings = () => proxy.seen.filter((s) => s === 'GET /v2/').length;
    assert.equal(pings(), 1, 'the first call pinged');
    return { proxy, pings };
  }

  it('is kept after a 404 and a 403: they answer about one name, not about /v2/', async () => {
    const { proxy, pings } = await proxied([
      { match: (req) => req.url?.endsWith('/manifests/forbidden') === true, times: 1, action: { status: 403 } },
    ]);
    try {
      await assert.rejects(pullImage(`${proxy.host}/team/memory:missing`, options), (err: unknown) =>
        isTskoError(err, 'TSKO_NOT_FOUND'),
      );
      await assert.rejects(pullImage(`${proxy.host}/team/memory:forbidden`, options), (err: unknown) =>
        isTskoError(err, 'TSKO_DENIED'),
      );
      await pushImage(image, `${proxy.host}/team/memory:1`, options);
      assert.equal(pings(), 1, 'no call pinged again');
    } finally {
      await proxy.close();
    }
  });

  it('is forgotten after a connection reset, and pinged again by the next call', async () => {
    const { proxy, pings } = await proxied([
      { match: (req) => req.url?.endsWith('/manifests/broken') === true, times: 1, action: 'reset' },
    ]);
    try {
      await assert.rejects(pushImage(image, `${proxy.host}/team/memory:broken`, options), (err: unknown) =>
        isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE'),
      );
      assert.equal(pings(), 1, 'the failing call used the remembered base');
      await pushImage(image, `${proxy.host}/team/memory:1`, options);
      assert.equal(pings(), 2, 'the call after the reset pinged again');
      await pushImage(image, `${proxy.host}/team/memory:1`, options);
      assert.equal(pings(), 2, 'and that ping is remembered in turn');
    } finally {
      await proxy.close();
    }
  });

  it('is forgotten after a 5xx', async () => {
    const { proxy, pings } = await proxied([
      { match: (req) => req.url?.endsWith('/manifests/failing') === true, times: 1, action: { status: 500 } },
    ]);
    try {
      await assert.rejects(pullImage(`${proxy.host}/team/memory:failing`, options), (err: unknown) =>
        isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE'),
      );
      await pushImage(image, `${proxy.host}/team/memory:1`, options);
      assert.equal(pings(), 2, 'the call after the 500 pinged again');
    } finally {
      await proxy.close();
    }
  });

  it('is forgotten after a 401 with a challenge the ping did not see, even when the retry passes', async () => {
    const { proxy, pings } = await proxied([
      {
        match: (req) => req.url?.endsWith('/manifests/rechallenged') === true,
        times: 1,
        action: { status: 401, headers: { 'www-authenticate': 'Basic realm="moved"' } },
      },
    ]);
    try {
      // No credentials for the new Basic realm: the retry goes out anonymously and passes.
      await pushImage(image, `${proxy.host}/team/memory:rechallenged`, options);
      assert.equal(pings(), 1);
      await pushImage(image, `${proxy.host}/team/memory:1`, options);
      assert.equal(pings(), 2, 'the call after the new challenge pinged again');
    } finally {
      await proxy.close();
    }
  });

  it('is kept after credentials are rejected under the challenge the ping saw', async () => {
    const ref = `${htpasswd.host}/team/memory:1`;
    await pushImage(image, ref, optionsFor(htpasswd));
    const pingsBefore = (await htpasswd.requests()).filter((r) => r.path === '/v2/').length;
    const wrong = optionsFor(htpasswd, { credentials: { [htpasswd.host]: { username: 'tsko', password: 'wrong' } } });
    await assert.rejects(pullImage(ref, wrong), (err: unknown) => isTskoError(err, 'TSKO_UNAUTHORIZED'));
    const after = (await htpasswd.requests()).filter((r) => r.path === '/v2/').length;
    await pushImage(image, ref, optionsFor(htpasswd));
    const last = (await htpasswd.requests()).filter((r) => r.path === '/v2/').length;
    assert.deepEqual([after - pingsBefore, last - pingsBefore], [0, 0], 'neither call pinged');
  });

  it('is kept after a token that grants nothing (DENIED on a repository)', async () => {
    const ref = `${token.host}/team/memory:1`;
    await pushImage(image, ref, optionsFor(token));
    const pingsBefore = (await token.requests()).filter((r) => r.path === '/v2/').length;
    const anonymous = optionsFor(token, { credentials: {} });
    await assert.rejects(pushImage(image, `${token.host}/team/memory:2`, anonymous), (err: unknown) =>
      isTskoError(err, 'TSKO_DENIED'),
    );
    await pushImage(image, ref, optionsFor(token));
    const pings = (await token.requests()).filter((r) => r.path === '/v2/').length - pingsBefore;
    assert.equal(pings, 0, 'neither the denied call nor the next one pinged');
  });

  it('is forgotten when a plain-HTTP base now reaches a TLS server, which answers 400 without errors[]', async () => {
    const address = await startConnectionCounter(plain.host);
    try {
      // Two attempts: a pooled connection the move cut may fail the first.
      const trusting = { ...options, retry: { attempts: 2, baseDelayMs: 10 }, ca: tls.caPem! };
      const ref = `${address.host}/team/moved:1`;
      await pushImage(image, ref, trusting);
      // The registry restarts with TLS behind the same address: the remembered base is http://.
      address.retarget(tls.host);
      await assert.rejects(pushImage(image, ref, trusting), (err: unknown) => isTskoError(err, 'TSKO_REGISTRY_ERROR'));
      const before = (await tls.requests()).length;
      const moved = await pushImage(image, ref, trusting);
      assert.equal(moved.digest, image.digest);
      const seen = (await tls.requests()).slice(before);
      assert.deepEqual(seen[0], { method: 'GET', path: '/v2/', status: 200 }, 'the next call pinged over HTTPS first');
    } finally {
      await address.close();
    }
  });
});
