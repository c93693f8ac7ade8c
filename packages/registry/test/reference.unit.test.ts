import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatReference,
  isLoopbackRegistry,
  isTskoError,
  parseReference,
  parseRepository,
  registryApiHost,
} from '@tsko/registry';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference normalises as docker does', () => {
  const cases: [string, string, string, string | undefined, string | undefined][] = [
    // input, registry, repository, tag, digest
    ['nginx', 'docker.io', 'library/nginx', undefined, undefined],
    ['nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined],
    ['library/nginx', 'docker.io', 'library/nginx', undefined, undefined],
    ['docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined],
    ['index.docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined],
    ['user/app', 'docker.io', 'user/app', undefined, undefined],
    ['localhost/app', 'localhost', 'app', undefined, undefined],
    ['localhost:5000/app:v1', 'localhost:5000', 'app', 'v1', undefined],
    ['127.0.0.1:5000/a/b/c', '127.0.0.1:5000', 'a/b/c', undefined, undefined],
    [`ghcr.io/org/app@${D}`, 'ghcr.io', 'org/app', undefined, D],
    [`ghcr.io/org/app:v1@${D}`, 'ghcr.io', 'org/app', 'v1', D],
    ['gcr.io/p/a_b__c-d.e', 'gcr.io', 'p/a_b__c-d.e', undefined, undefined],
    ['a---b/c', 'docker.io', 'a---b/c', undefined, undefined],
    ['Registry.Example.com/app', 'Registry.Example.com', 'app', undefined, undefined],
    ['[::1]:5000/app', '[::1]:5000', 'app', undefined, undefined],
    ['ko.local/app', 'ko.local', 'app', undefined, undefined],
    ['host:443/app:tag_1.2-x', 'host:443', 'app', 'tag_1.2-x', undefined],
  ];
  for (const [input, registry, repository, tag, digest] of cases) {
    it(`parses ${input}`, () => {
      const ref = parseReference(input);
      assert.equal(ref.registry, registry);
      assert.equal(ref.repository, repository);
      assert.equal(ref.tag, tag);
      assert.equal(ref.digest, digest);
    });
  }

  it('round-trips through formatReference', () => {
    assert.equal(formatReference(parseReference('nginx:1')), 'docker.io/library/nginx:1');
    assert.equal(formatReference(parseReference(`localhost:5000/a:b@${D}`)), `localhost:5000/a:b@${D}`);
  });
});

describe('parseReference rejects invalid and hostile input with TSKO_INVALID_REFERENCE', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['UPPER', /lowercase/],
    ['docker.io/Library/nginx', /lowercase/],
    ['docker.io/User/App', /lowercase/],
    ['app:', /tag/],
    ['app:-bad', /tag/],
    [`app:${'x'.repeat(129)}`, /tag/],
    ['app@sha256:abc', /not a digest/],
    [`app@md5:${'a'.repeat(32)}`, /not a digest/],
    ['https://ghcr.io/app', /scheme/],
    [' app', /white space/],
    ['app\n', /white space/],
    ['a/../b', /path component/],
    ['a//b', /path component/],
    ['a/b/', /path component/],
    ['a_/b', /path component/],
    ['-a/b', /path component/],
    ['host:port/app', /registry host/],
    ['exa mple.com/app', /white space/],
    [`ghcr.io/${'a/'.repeat(130)}b`, /limit is 255/],
    ['ghcr.io/app\u0000', /white space or control/],
    ['ghcr.io/äpp', /path component/],
    ['/app', /path component|missing/],
    [':tag', /missing/],
  ];
  for (const [input, why] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_REFERENCE') && why.test(err.message),
      );
    });
  }

  it('caps the echoed input so a huge reference does not flood logs', () => {
    try {
      parseReference('A'.repeat(100_000));
      assert.fail('should throw');
    } catch (err) {
      assert.ok(isTskoError(err));
      assert.ok(err.message.length < 1000);
    }
  });
});

describe('repositories and hosts', () => {
  it('parseRepository refuses tags and digests', () => {
    assert.equal(parseRepository('ghcr.io/org').repository, 'org');
    assert.throws(() => parseRepository('ghcr.io/org:v1'), /must not carry a tag/);
  });
  it('sends Docker Hub API calls to registry-1', () => {
    assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryApiHost('ghcr.io'), 'ghcr.io');
  });
  it('recognises loopback registries only', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000'])
      assert.ok(isLoopbackRegistry(h), h);
    for (const h of ['127.0.0.1.example.com', 'localhost.evil.com:5000', '10.0.0.1:5000', 'ghcr.io'])
      assert.ok(!isLoopbackRegistry(h), h);
  });
});
