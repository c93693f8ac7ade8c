import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  isTskoError,
  pullImage,
  pushImage,
  RegistrySession,
  type Credential,
  type RegistryEvent,
} from '@tsko/registry';
import {
  selfSignedCert,
  startRecordingHost,
  startRegistry,
  testImage,
  TEST_PASSWORD,
  TEST_USER,
  type RecordingHost,
  type RecordedRequest,
  type Reply,
  type SelfSigned,
  type TestRegistry,
} from '@tsko/test-rig';

// A registry (the real one, behind a recording front on 127.0.0.1) points the client at a
// foreign host (a recording host on 127.0.0.2/127.0.0.3). Whatever it does, the foreign host
// must never see a credential, and nothing the registry echoes may carry one back to the caller.

const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };
const fast = { env, retry: { baseDelayMs: 10, maxDelayMs: 50 } };
const BASIC = Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64');

/** Every Bearer token the client sent to the front (the real registry's tokens). */
function bearerTokens(front: RecordingHost): string[] {
  return [
    ...new Set(
      front.requests
        .map((r) => r.headers.authorization)
        .filter((a): a is string => !!a?.startsWith('Bearer '))
        .map((a) => a.slice(7)),
    ),
  ];
}

function assertNoCredentialReached(host: RecordingHost, secrets: readonly string[]): void {
  for (const r of host.requests)
    assert.equal(r.headers.authorization, undefined, `${r.method} ${r.url} carried Authorization to ${host.host}`);
  const seen = host.everything();
  for (const s of secrets) assert.ok(!seen.includes(s), `a secret reached ${host.host}`);
}

/** Everything an error and the events expose, flattened for a substring search. */
function exposed(err: unknown, events: readonly RegistryEvent[]): string {
  const parts: string[] = [JSON.stringify(events)];
  let e: unknown = err;
  for (let depth = 0; e && depth < 10; depth++) {
    const x = e as Error & { details?: unknown; registryErrors?: unknown };
    parts.push(
      String(x.message),
      String(x.stack),
      JSON.stringify(x.details ?? null),
      JSON.stringify(x.registryErrors ?? null),
      String(e),
    );
    e = x.cause;
  }
  return parts.join('\n');
}

/** A foreign host that tries to get credentials: 401 with its own Bearer realm on itself. */
function phishing(address: string): Promise<RecordingHost> {
  return startRecordingHost({
    address,
    respond: (req, self): Reply =>
      req.url.startsWith('/token')
        ? { status: 200, body: '{"token":"foreign-token-0123456789"}' }
        : {
            status: 401,
            headers: { 'www-authenticate': `Bearer realm="${self.url}/token",service="foreign"` },
            body: '{"errors":[{"code":"UNAUTHORIZED"}]}',
          },
  });
}

const isUploadStart = (req: RecordedRequest, status: number) =>
  req.method === 'POST' && req.url.includes('/blobs/uploads/') && status === 202;

describe('credentials never leave the registry origin', () => {
  let basic: TestRegistry;
  let token: TestRegistry;
  let foreign: RecordingHost;
  let certDir: string;
  let cert: SelfSigned;
  before(async () => {
    [basic, token, foreign] = await Promise.all([
      startRegistry('htpasswd'),
      startRegistry('token'),
      phishing('127.0.0.2'),
    ]);
    certDir = await mkdtemp(join(tmpdir(), 'tsko-front-cert-'));
    cert = await selfSignedCert(certDir, 'front');
  });
  after(() =>
    Promise.all([
      basic?.stop(),
      token?.stop(),
      foreign?.close(),
      certDir && rm(certDir, { recursive: true, force: true }),
    ]),
  );

  for (const kind of ['htpasswd', 'token'] as const) {
    const upstream = () => (kind === 'htpasswd' ? basic : token);
    const credentials = (host: string) => ({ [host]: { username: TEST_USER, password: TEST_PASSWORD } });

    it(`an upload Location on another host gets no credential (${kind})`, async () => {
      const front = await startRecordingHost({
        address: '127.0.0.1',
        upstream: upstream().host,
        rewrite: (req, status, headers) =>
          isUploadStart(req, status)
            ? { ...headers, location: `${foreign.url}${new URL(headers.location!, 'http://x').pathname}` }
            : headers,
      });
      const before = foreign.requests.length;
      try {
        await assert.rejects(
          pushImage(await testImage(`loc-${kind}`, undefined, 1), `${front.host}/team/app:1`, {
            ...fast,
            credentials: credentials(front.host),
          }),
          (err: unknown) => {
            assert.ok(isTskoError(err, 'TSKO_UNAUTHORIZED'), String(err));
            assert.match(err.message, /127\.0\.0\.2/);
            return true;
          },
        );
        const reached = foreign.requests.slice(before);
        assert.ok(
          reached.some((r) => r.method === 'PATCH'),
          'the upload did go to the Location',
        );
        assert.ok(!reached.some((r) => r.url.startsWith('/token')), 'the foreign realm was not asked for a token');
        assertNoCredentialReached(foreign, [TEST_PASSWORD, BASIC, ...bearerTokens(front)]);
        if (kind === 'token') assert.ok(bearerTokens(front).length > 0, 'the registry itself got its token');
      } finally {
        await front.close();
      }
    });

    it(`a blob redirect to a host with its own Bearer realm is refused, and the registry's challenge survives (${kind})`, async () => {
      let redirect = false;
      const front = await startRecordingHost({
        address: '127.0.0.1',
        upstream: upstream().host,
        respond: (req) =>
          redirect && req.method === 'GET' && /\/blobs\/sha256:/.test(req.url)
            ? { status: 307, headers: { location: `${foreign.url}/storage${req.url}` } }
            : undefined,
      });
      const session = new RegistrySession({ ...fast, credentials: credentials(front.host) });
      const before = foreign.requests.length;
      try {
        const image = await testImage(`redir-${kind}`, undefined, 1);
        await pushImage(image, `${front.host}/team/redir:1`, { session });
        redirect = true;
        await assert.rejects(
          pullImage(`${front.host}/team/redir:1`, { session }),
          (err: unknown) => isTskoError(err, 'TSKO_UNAUTHORIZED') && /127\.0\.0\.2/.test(err.message),
        );
        // (Filtered by path: a PATCH left in flight by the previous test may still land here.)
        const reached = foreign.requests.slice(before).filter((r) => !r.url.startsWith('/v2/'));
        assert.deepEqual(
          reached.map((r) => `${r.method} ${r.url.split('/blobs/')[0]}`),
          ['GET /storage/v2/team/redir'],
          'one anonymous GET reached the foreign host, and no token request',
        );
        assertNoCredentialReached(foreign, [TEST_PASSWORD, BASIC, ...bearerTokens(front)]);
        // The foreign challenge did not replace the registry's: the same session still works.
        redirect = false;
        assert.equal((await pullImage(`${front.host}/team/redir:1`, { session })).digest, image.digest);
      } finally {
        await session.close();
        await front.close();
      }
    });
  }

  it('an HTTPS registry whose upload Location is http:// is refused before anything is sent there', async () => {
    const plainForeign = await startRecordingHost({ address: '127.0.0.3' });
    const front = await startRecordingHost({
      address: '127.0.0.1',
      tls: cert,
      upstream: basic.host,
      rewrite: (req, status, headers) =>
        isUploadStart(req, status)
          ? { ...headers, location: `${plainForeign.url}${new URL(headers.location!, 'http://x').pathname}` }
          : headers,
    });
    try {
      await assert.rejects(
        pushImage(await testImage('downgrade', undefined, 1), `${front.host}/team/app:1`, {
          ...fast,
          ca: cert.certPem,
          credentials: { [front.host]: { username: TEST_USER, password: TEST_PASSWORD } },
        }),
        (err: unknown) => {
          assert.ok(isTskoError(err, 'TSKO_INSECURE_REGISTRY'), String(err));
          return true;
        },
      );
      assert.equal(plainForeign.requests.length, 0);
      assert.ok(
        front.requests.some((r) => r.headers.authorization === `Basic ${BASIC}`),
        'the HTTPS registry itself got the credentials',
      );
    } finally {
      await Promise.all([front.close(), plainForeign.close()]);
    }
  });

  it('an HTTPS registry whose upload Location is http:// on its own host is refused too', async () => {
    // What a registry behind a TLS terminator does without X-Forwarded-Proto: the password
    // would travel in clear to the same host and port.
    const front = await startRecordingHost({ address: '127.0.0.1', tls: cert, upstream: basic.host });
    try {
      await assert.rejects(
        pushImage(await testImage('downgrade-same', undefined, 1), `${front.host}/team/app:1`, {
          ...fast,
          ca: cert.certPem,
          credentials: { [front.host]: { username: TEST_USER, password: TEST_PASSWORD } },
        }),
        (err: unknown) => isTskoError(err, 'TSKO_INSECURE_REGISTRY'),
      );
      assert.ok(!front.requests.some((r) => r.method === 'PATCH'), 'no PATCH was sent');
    } finally {
      await front.close();
    }
  });

  it('an HTTPS registry redirecting a manifest GET to http:// is refused', async () => {
    const plainForeign = await startRecordingHost({ address: '127.0.0.3' });
    const front = await startRecordingHost({
      address: '127.0.0.1',
      tls: cert,
      upstream: basic.host,
      respond: (req) =>
        req.url.includes('/manifests/') ? { status: 302, headers: { location: `${plainForeign.url}/m` } } : undefined,
    });
    try {
      await assert.rejects(
        pullImage(`${front.host}/team/app:1`, {
          ...fast,
          ca: cert.certPem,
          credentials: { [front.host]: { username: TEST_USER, password: TEST_PASSWORD } },
        }),
        (err: unknown) => isTskoError(err, 'TSKO_INSECURE_REGISTRY'),
      );
      assert.equal(plainForeign.requests.length, 0);
    } finally {
      await Promise.all([front.close(), plainForeign.close()]);
    }
  });

  it('an HTTPS registry whose challenge names a plain-HTTP token realm is refused', async () => {
    const front = await startRecordingHost({ address: '127.0.0.1', tls: cert, upstream: token.host });
    const issued = { ...token.tokenServer!.issued };
    try {
      await assert.rejects(
        pullImage(`${front.host}/team/app:1`, {
          ...fast,
          ca: cert.certPem,
          credentials: { [front.host]: { username: TEST_USER, password: TEST_PASSWORD } },
        }),
        (err: unknown) => isTskoError(err, 'TSKO_INSECURE_REGISTRY'),
      );
      assert.deepEqual(token.tokenServer!.issued, issued, 'the token service was never asked');
    } finally {
      await front.close();
    }
  });

  for (const kind of ['htpasswd', 'token'] as const) {
    it(`a registry error that echoes the ${kind === 'htpasswd' ? 'password' : 'bearer token'} is scrubbed from message, details, cause and events`, async () => {
      const front = await startRecordingHost({
        address: '127.0.0.1',
        upstream: (kind === 'htpasswd' ? basic : token).host,
        respond: (req) => {
          if (req.method !== 'PUT' || !req.url.includes('/manifests/')) return undefined;
          const auth = req.headers.authorization ?? '';
          const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
          return {
            status: 400,
            body: JSON.stringify({
              errors: [
                {
                  code: 'MANIFEST_INVALID',
                  message: `rejected ${auth} (${decoded}) ${encodeURIComponent(decoded)}`,
                  detail: { auth },
                },
              ],
            }),
          };
        },
      });
      const events: RegistryEvent[] = [];
      try {
        let caught: unknown;
        await assert.rejects(
          pushImage(await testImage(`echo-${kind}`, undefined, 1), `${front.host}/team/app:1`, {
            ...fast,
            credentials: { [front.host]: { username: TEST_USER, password: TEST_PASSWORD } },
            onEvent: (e) => events.push(e),
          }),
          (err: unknown) => {
            caught = err;
            return (
              isTskoError(err, 'TSKO_REGISTRY_ERROR') &&
              err.registryErrors?.[0]?.code === 'MANIFEST_INVALID' &&
              /\[redacted\]/.test(err.message)
            );
          },
        );
        const secrets = [TEST_PASSWORD, BASIC, ...bearerTokens(front)];
        if (kind === 'token') assert.ok(bearerTokens(front).length > 0);
        const text = exposed(caught, events);
        for (const s of secrets)
          assert.ok(!text.includes(s), `a secret leaked into the error or events: ${text.slice(0, 300)}`);
      } finally {
        await front.close();
      }
    });
  }

  it('a secret the registry puts into an upload Location never reaches an event or error', async () => {
    // The registry's own origin, so credentials go there; the path it hands out carries them
    // back, and a reset makes the client report that path in retry events and the error.
    const marker = `leak-${BASIC}-${encodeURIComponent(TEST_PASSWORD)}`;
    const front = await startRecordingHost({
      address: '127.0.0.1',
      upstream: basic.host,
      respond: (req) => (req.url.includes('/leak-') ? { status: 0, reset: true } : undefined),
      rewrite: (req, status, headers) =>
        isUploadStart(req, status)
          ? { ...headers, location: `${new URL(headers.location!, 'http://x').pathname}/${marker}` }
          : headers,
    });
    const events: RegistryEvent[] = [];
    try {
      let caught: unknown;
      await assert.rejects(
        pushImage(await testImage('leaky-location', undefined, 1), `${front.host}/team/app:1`, {
          ...fast,
          concurrency: 1,
          credentials: { [front.host]: { username: TEST_USER, password: TEST_PASSWORD } },
          onEvent: (e) => events.push(e),
        }),
        (err: unknown) => {
          caught = err;
          return isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') && /\[redacted\]/.test(err.message);
        },
      );
      assert.ok(
        front.requests.some((r) => r.url.includes(marker)),
        'the client did use the leaky Location',
      );
      assert.ok(
        events.some((e) => e.type === 'request:retry' && /\[redacted\]/.test(JSON.stringify(e))),
        'a retry event reported the scrubbed path',
      );
      const text = exposed(caught, events);
      for (const s of [TEST_PASSWORD, encodeURIComponent(TEST_PASSWORD), BASIC])
        assert.ok(!text.includes(s), `a secret leaked: ${text.slice(0, 400)}`);
    } finally {
      await front.close();
    }
  });

  for (const credential of [
    { username: TEST_USER, password: TEST_PASSWORD },
    { identityToken: 'identity-refresh-token-7f3a9c' },
  ] as Credential[]) {
    const kind = 'password' in credential ? 'password' : 'identity token';
    it(`a token service whose error echoes the ${kind} is scrubbed too`, async () => {
      // The realm named by the registry's own challenge is trusted with the credentials; what it
      // answers is not trusted to leave them out.
      const echo = await startRecordingHost({
        address: '127.0.0.1',
        respond: (req) => ({
          status: 401,
          body: JSON.stringify({
            errors: [
              {
                code: 'UNAUTHORIZED',
                message: `no: ${req.headers.authorization ?? ''} ${req.body} ${Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString()}`,
              },
            ],
          }),
        }),
      });
      const front = await startRecordingHost({
        address: '127.0.0.1',
        upstream: token.host,
        rewrite: (_req, status, headers) =>
          status === 401
            ? {
                ...headers,
                'www-authenticate': headers['www-authenticate']!.replace(/realm="[^"]*"/, `realm="${echo.url}/token"`),
              }
            : headers,
      });
      const events: RegistryEvent[] = [];
      try {
        let caught: unknown;
        await assert.rejects(
          pullImage(`${front.host}/team/app:1`, {
            ...fast,
            credentials: { [front.host]: credential },
            onEvent: (e) => events.push(e),
          }),
          (err: unknown) => {
            caught = err;
            return isTskoError(err, 'TSKO_UNAUTHORIZED');
          },
        );
        assert.ok(echo.requests.length > 0, 'the realm was asked');
        const secret =
          'password' in credential ? credential.password : (credential as { identityToken: string }).identityToken;
        assert.ok(
          echo.everything().includes('password' in credential ? BASIC : encodeURIComponent(secret)),
          'the realm did receive the credential',
        );
        const text = exposed(caught, events);
        for (const s of [secret, BASIC, encodeURIComponent(secret)])
          assert.ok(!text.includes(s), `a secret leaked: ${text.slice(0, 300)}`);
      } finally {
        await Promise.all([front.close(), echo.close()]);
      }
    });
  }
});
