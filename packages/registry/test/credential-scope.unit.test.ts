import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTskoError, TskoError } from '@tsko/registry';
import { authorizationFor, checkNextUrl, resolveLocation } from '../src/client/origin.js';
import { SecretSet } from '../src/client/secrets.js';

const scoped = { header: 'Basic c2VjcmV0', origin: 'https://registry.example.com' };

describe('credentials are attached only to their own origin', () => {
  for (const [url, expected] of [
    ['https://registry.example.com/v2/x/blobs/uploads/1', true],
    ['https://registry.example.com:443/v2/', true],
    ['https://registry.example.com:8443/v2/', false],
    ['http://registry.example.com/v2/', false],
    ['https://storage.example.com/v2/', false],
    ['https://registry.example.com.evil.test/v2/', false],
    ['https://evil.test/registry.example.com/v2/', false],
    ['https://user@registry.example.com/v2/', true],
  ] as const) {
    it(`${url} ${expected ? 'gets' : 'does not get'} the registry's Authorization`, () => {
      assert.equal(authorizationFor(new URL(url), scoped), expected ? scoped.header : undefined);
    });
  }
  it('nothing is attached without a scope', () =>
    assert.equal(authorizationFor(new URL('https://registry.example.com/'), undefined), undefined));
});

describe('a response may not downgrade or leave HTTP(S)', () => {
  const from = new URL('https://registry.example.com/v2/x/blobs/uploads/');
  for (const location of [
    'http://registry.example.com/v2/x/blobs/uploads/1',
    'http://127.0.0.2:5000/u',
    'http://evil.test/u',
  ]) {
    it(`refuses ${location} from HTTPS with TSKO_INSECURE_REGISTRY`, () => {
      assert.throws(
        () => resolveLocation(location, from, 'The upload location'),
        (err: unknown) => isTskoError(err, 'TSKO_INSECURE_REGISTRY') && /HTTPS to plain HTTP/.test(err.message),
      );
    });
  }
  for (const location of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x/y', 'data:,x']) {
    it(`refuses ${location}`, () =>
      assert.throws(
        () => resolveLocation(location, from, 'The upload location'),
        (err: unknown) => isTskoError(err),
      ));
  }
  it('resolves a relative location against the response, keeping the query', () => {
    assert.equal(
      resolveLocation('/v2/x/blobs/uploads/1?_state=abc', from, 'x').href,
      'https://registry.example.com/v2/x/blobs/uploads/1?_state=abc',
    );
  });
  it('allows plain HTTP to HTTPS and HTTP to HTTP', () => {
    assert.doesNotThrow(() => checkNextUrl(new URL('http://127.0.0.1:5000/'), new URL('https://127.0.0.2/'), 'x'));
    assert.doesNotThrow(() => checkNextUrl(new URL('http://127.0.0.1:5000/'), new URL('http://127.0.0.2/'), 'x'));
  });
});

describe('secrets are scrubbed from whatever a registry sends back', () => {
  const password = 'p@ss w/rd"\\&=+';
  const secrets = new SecretSet();
  secrets.addCredential({ username: 'me', password });
  secrets.add('tok.en-123456');
  const forms = [
    password,
    encodeURIComponent(password),
    new URLSearchParams({ p: password }).toString().slice(2),
    JSON.stringify(password).slice(1, -1),
    Buffer.from(`me:${password}`).toString('base64'),
    'tok.en-123456',
  ];
  for (const form of forms) {
    it(`scrubs ${JSON.stringify(form)}`, () => {
      const out = secrets.scrub(`before ${form} after`);
      assert.equal(out, 'before [redacted] after');
    });
  }
  it('scrubs a secret in an error message, details, registry errors and the cause chain', () => {
    const cause = Object.assign(new Error(`socket said ${password}`), { code: 'ECONNRESET' });
    const err = new TskoError('TSKO_REGISTRY_ERROR', `failed: tok.en-123456`, {
      status: 400,
      cause,
      details: { repo: password },
      registryErrors: [{ code: 'DENIED', message: password }],
    });
    const clean = secrets.scrubError(err) as TskoError;
    assert.equal(clean.code, 'TSKO_REGISTRY_ERROR');
    assert.equal(clean.status, 400);
    assert.equal((clean.cause as { code?: string }).code, 'ECONNRESET');
    const text = JSON.stringify([
      clean.message,
      clean.stack,
      clean.details,
      clean.registryErrors,
      String(clean.cause),
      (clean.cause as Error).stack,
    ]);
    for (const form of forms) assert.ok(!text.includes(form), `${form} leaked: ${text}`);
    assert.match(clean.message, /\[redacted\]/);
  });
  it('scrubs a secret in one of the errors an aggregate error holds', () => {
    const inner = new TskoError('TSKO_UNAUTHORIZED', `token ${password} rejected`);
    const aggregate = new TskoError('TSKO_INTERNAL', 'two things failed', { errors: [inner] });
    const clean = secrets.scrubError(aggregate) as TskoError;
    assert.notEqual(clean, aggregate);
    assert.equal(clean.errors?.[0]?.code, 'TSKO_UNAUTHORIZED');
    assert.equal(clean.errors?.[0]?.message, 'token [redacted] rejected');
  });
  it('returns an error without secrets unchanged', () => {
    const err = new TskoError('TSKO_NOT_FOUND', 'nothing secret');
    assert.equal(secrets.scrubError(err), err);
  });
  it('guards events', () => {
    const seen: unknown[] = [];
    secrets.guardEvents((e) => seen.push(e))!({
      type: 'request:retry',
      method: 'PATCH',
      path: `host/v2/x/${encodeURIComponent(password)}`,
      attempt: 1,
      reason: 'r',
      delayMs: 0,
    });
    assert.ok(!JSON.stringify(seen).includes(encodeURIComponent(password)));
  });
  it('does not scrub strings too short to be secrets', () => {
    const s = new SecretSet();
    s.add('abc');
    assert.equal(s.scrub('abc'), 'abc');
  });
});
