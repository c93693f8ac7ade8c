import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isTskoError, pullImage, pushImage, RegistrySession, type RegistryOptions } from '@tsko/registry';
import {
  runTsChild,
  selfSignedCert,
  startConnectionCounter,
  startRegistry,
  testImage,
  type TestRegistry,
} from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

// Library users (Pulumi programs, CDK8s charts, build scripts) call pushImage and pullImage
// many times in one process, each call without a session. These tests read the real
// registry's access log and count the TCP connections a loopback proxy accepts, to show that
// the second call reuses the first one's connections and ping, and that the sharing never
// widens trust (a CA given to one call never helps another) nor shares credentials.

/** The registry log lines `work` caused. */
async function traffic(registry: TestRegistry, work: () => Promise<unknown>) {
  const before = (await registry.requests()).length;
  await work();
  return (await registry.requests()).slice(before);
}

const pings = (seen: { method: string; path: string }[]) => seen.filter((r) => r.path === '/v2/');

describe('separate calls in one process share connections and the ping', () => {
  let plain: TestRegistry;
  let htpasswd: TestRegistry;
  let tls: TestRegistry;
  let token: TestRegistry;
  before(async () => {
    [plain, htpasswd, tls, token] = await Promise.all([
      startRegistry('plain'),
      startRegistry('htpasswd'),
      startRegistry('tls'),
      startRegistry('token'),
    ]);
  });
  after(() => Promise.all([plain?.stop(), htpasswd?.stop(), tls?.stop(), token?.stop()]));

  it('a second pushImage of the same image sends one HEAD: no ping, no new connection', async () => {
    const proxy = await startConnectionCounter(plain.host);
    try {
      const image = await testImage('reuse-plain', undefined, 1);
      const ref = `${proxy.host}/team/reuse:1`;
      const first = await traffic(plain, () => pushImage(image, ref, optionsFor(plain)));
      assert.equal(pings(first).length, 1, 'the first call pings /v2/');
      const connectionsBefore = proxy.accepted();
      const second = await traffic(plain, () => pushImage(image, ref, optionsFor(plain)));
      assert.deepEqual(second, [{ method: 'HEAD', path: '/v2/team/reuse/manifests/1', status: 200 }]);
      assert.equal(proxy.accepted() - connectionsBefore, 0, 'the second call opened no connection');
      // A pull is a separate call with the same settings: it shares them too.
      const third = await traffic(plain, () => pullImage(ref, optionsFor(plain)));
      assert.equal(pings(third).length, 0);
      assert.equal(proxy.accepted() - connectionsBefore, 0, 'the pull opened no connection');
    } finally {
      await proxy.close();
    }
  });

  it('remembers the challenge, not the credentials: a call without them is still refused', async () => {
    const image = await testImage('reuse-auth', undefined, 1);
    const ref = `${htpasswd.host}/team/auth:1`;
    await pushImage(image, ref, optionsFor(htpasswd));
    const second = await traffic(htpasswd, () => pushImage(image, ref, optionsFor(htpasswd)));
    // The remembered Basic challenge lets the first request carry credentials: no 401 round trip.
    assert.deepEqual(second, [{ method: 'HEAD', path: '/v2/team/auth/manifests/1', status: 200 }]);
    const anonymous = optionsFor(htpasswd, { credentials: {} });
    const refused = await traffic(htpasswd, async () => {
      await assert.rejects(pushImage(image, `${htpasswd.host}/team/auth:2`, anonymous), (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_UNAUTHORIZED'), String(err));
        return true;
      });
    });
    assert.ok(refused.length > 0 && refused.every((r) => r.status === 401), JSON.stringify(refused));
    const wrong = optionsFor(htpasswd, { credentials: { [htpasswd.host]: { username: 'tsko', password: 'wrong' } } });
    await assert.rejects(pullImage(ref, wrong), (err: unknown) => isTskoError(err, 'TSKO_UNAUTHORIZED'));
  });

  it('asks the token service again on each call: bearer tokens are not shared between calls', async () => {
    const image = await testImage('reuse-token', undefined, 1);
    const ref = `${token.host}/team/token:1`;
    await pushImage(image, ref, optionsFor(token));
    const issued = token.tokenServer!.issued.authenticated;
    const second = await traffic(token, () => pushImage(image, ref, optionsFor(token)));
    // The remembered Bearer challenge sends the call to the token service first: no ping, no 401.
    assert.deepEqual(second, [{ method: 'HEAD', path: '/v2/team/token/manifests/1', status: 200 }]);
    assert.equal(token.tokenServer!.issued.authenticated, issued + 1, 'the second call got its own token');
    // A call without credentials gets an anonymous token of its own, which grants nothing.
    const anonymousBefore = token.tokenServer!.issued.anonymous;
    const anonymous = optionsFor(token, { credentials: {} });
    await assert.rejects(pushImage(image, `${token.host}/team/token:2`, anonymous), (err: unknown) =>
      isTskoError(err, 'TSKO_DENIED'),
    );
    assert.ok(token.tokenServer!.issued.anonymous > anonymousBefore, 'the anonymous call asked for its own token');
  });

  it('never lends a CA to a call without it: TLS verification fails before and after a trusted call', async () => {
    const proxy = await startConnectionCounter(tls.host);
    try {
      const image = await testImage('reuse-tls', undefined, 1);
      const ref = `${proxy.host}/team/tls:1`;
      // Time limits of their own, so that this test's calls make the first pools of their
      // settings in this process: the trusted call's pool exists before any untrusted call.
      const timeouts = { connectMs: 4_321, responseMs: 9_876 };
      const trusted: RegistryOptions = { ...optionsFor(tls), timeouts };
      const untrusted: RegistryOptions = { ...trusted, retry: { attempts: 1 } };
      delete untrusted.ca;
      const isTlsFailure = (err: unknown) => isTskoError(err, 'TSKO_TLS');
      await pushImage(image, ref, trusted);
      const connectionsBefore = proxy.accepted();
      const again = await traffic(tls, () => pushImage(image, ref, trusted));
      assert.deepEqual(again, [{ method: 'HEAD', path: '/v2/team/tls/manifests/1', status: 200 }]);
      assert.equal(proxy.accepted(), connectionsBefore, 'the trusted call reused its verified connection');
      // A verified connection and a remembered https base now exist for this registry: a call
      // without the CA must be handed neither.
      const refused = await traffic(tls, async () => {
        await assert.rejects(pushImage(image, ref, untrusted), isTlsFailure);
        await assert.rejects(pullImage(ref, untrusted), isTlsFailure);
      });
      assert.deepEqual(refused, [], 'nothing reached the registry without verification');
      assert.ok(proxy.accepted() > connectionsBefore, 'the untrusted calls had to open their own connections');
      // Another CA (a different trust set) is a different pool as well.
      await assert.rejects(pushImage(image, ref, { ...untrusted, ca: await otherCa() }), isTlsFailure);
      // And the failures took nothing from the trusted calls.
      assert.equal((await pullImage(ref, trusted)).digest, image.digest);
    } finally {
      await proxy.close();
    }
  });

  it('closing one session ends its own requests, not the shared pool another session uses', async () => {
    const image = await testImage('close-one', undefined, 1);
    const ref = `${plain.host}/team/close:1`;
    await pushImage(image, ref, optionsFor(plain));
    const closed = new RegistrySession(optionsFor(plain));
    const open = new RegistrySession(optionsFor(plain));
    await pullImage(ref, { session: closed });
    await closed.close();
    await assert.rejects(pullImage(ref, { session: closed }), (err: unknown) => isTskoError(err, 'TSKO_ABORTED'));
    const pulled = await pullImage(ref, { session: open });
    assert.equal(pulled.digest, image.digest);
    await open.close();
  });

  it('a program that pushes and returns exits at once: idle shared pools keep no process alive', {
    timeout: 60_000,
  }, async () => {
    const script = fileURLToPath(new URL('./fixtures/push-and-return.ts', import.meta.url));
    for (const [registry, args] of [
      [plain, [plain.host]],
      [tls, [tls.host, join(tls.certDir!, 'ca.crt')]],
    ] as const) {
      const out = await runTsChild(script, args);
      const exitedAt = Date.now();
      const { doneAt } = JSON.parse(out) as { doneAt: number };
      // Idle keep-alive sockets close after 4 s: a pool that held the process would show here.
      assert.ok(exitedAt - doneAt < 2_000, `${registry.kind}: exited ${exitedAt - doneAt} ms after its work`);
    }
  });
});

/** A CA that signed nothing the TLS registry presents. */
async function otherCa(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsko-other-ca-'));
  try {
    return (await selfSignedCert(dir, 'other')).certPem;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
