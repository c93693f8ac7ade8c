import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenges, repositoryScope } from '@tsko/registry';
import { sameChallenge } from '../src/client/challenge.js';

describe('parseChallenges reads WWW-Authenticate headers', () => {
  it('reads a distribution bearer challenge', () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
    );
    assert.deepEqual(c, {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:a/b:pull,push',
      },
    });
  });
  it('reads a basic challenge', () => {
    assert.deepEqual(parseChallenges('Basic realm="tsko-test"'), [{ scheme: 'basic', params: { realm: 'tsko-test' } }]);
  });
  it('reads an insufficient_scope error', () => {
    const [c] = parseChallenges(
      'Bearer realm="http://127.0.0.1:1/token",service="s",scope="repository:x:pull,push",error="insufficient_scope"',
    );
    assert.equal(c?.params.error, 'insufficient_scope');
    assert.equal(c?.params.scope, 'repository:x:pull,push');
  });
  it('handles escapes, unquoted values, odd spacing and case', () => {
    const [c] = parseChallenges('BEARER  realm = "a\\"b" , service=svc');
    assert.equal(c?.scheme, 'bearer');
    assert.equal(c?.params.realm, 'a"b');
    assert.equal(c?.params.service, 'svc');
  });
  it('splits several challenges in one header', () => {
    const cs = parseChallenges('Basic realm="r1", Bearer realm="r2",service="s"');
    assert.deepEqual(
      cs.map((c) => c.scheme),
      ['basic', 'bearer'],
    );
    assert.equal(cs[1]?.params.service, 's');
  });
  it('returns nothing for empty or garbage input without throwing', () => {
    assert.deepEqual(parseChallenges(undefined), []);
    assert.deepEqual(parseChallenges(''), []);
    assert.doesNotThrow(() => parseChallenges('=,,=="'));
    assert.doesNotThrow(() => parseChallenges('Bearer realm="unterminated'));
  });
  it('builds scopes', () => {
    assert.equal(repositoryScope('a/b', ['pull', 'push']), 'repository:a/b:pull,push');
  });
  it('compares challenges by scheme, realm and service, not by scope or error', () => {
    const [pinged] = parseChallenges('Bearer realm="https://auth.example/token",service="reg"');
    const one = (h: string) => parseChallenges(h)[0];
    assert.ok(
      sameChallenge(
        pinged,
        one(
          'Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull",error="insufficient_scope"',
        ),
      ),
    );
    assert.ok(sameChallenge(undefined, undefined), 'an open registry answering without a challenge');
    assert.ok(!sameChallenge(pinged, one('Bearer realm="https://auth2.example/token",service="reg"')));
    assert.ok(!sameChallenge(pinged, one('Bearer realm="https://auth.example/token",service="other"')));
    assert.ok(!sameChallenge(pinged, one('Basic realm="https://auth.example/token"')));
    assert.ok(!sameChallenge(pinged, undefined));
    assert.ok(!sameChallenge(undefined, one('Basic realm="r"')));
  });
});
