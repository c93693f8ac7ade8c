import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  descriptorSchema,
  isTskoError,
  type TskoErrorCode,
  parseDigestReference,
  parseImageManifest,
  parseIndexManifest,
  parseManifestIdentifier,
  parseRepositoryPath,
  parseTag,
  sha256,
} from '@tsko/registry';
import { checkApiPath, checkReferenceParts } from '../src/names.js';

const D = sha256('x');
const HEX = D.slice('sha256:'.length);

function refused(fn: () => unknown, code: TskoErrorCode, names: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isTskoError(err, code), `expected ${code}, got ${String(err)}`);
    // Values are quoted JSON-style in messages, so control characters show as escapes.
    const shown = JSON.stringify(names.slice(0, 100)).slice(1, -1);
    assert.ok(err.message.includes(shown), `message names ${shown}: ${err.message}`);
    return true;
  });
}

describe('tags follow the distribution grammar before they reach a URL', () => {
  const hostile = [
    '../../../prod/app/manifests/latest',
    '..',
    '.',
    '../x',
    'a/b',
    '/latest',
    'latest/',
    '%2e%2e',
    '%2F',
    'a%2fb',
    '',
    ' ',
    'v1 ',
    'a\nb',
    'a\u0000',
    '-v1',
    '.hidden',
    'a:b',
    'a@b',
    'a?b',
    'a#b',
    'a\\b',
    'é',
    'x'.repeat(129),
  ];
  for (const tag of hostile) {
    it(`refuses tag ${JSON.stringify(tag.slice(0, 40))}`, () =>
      refused(() => parseTag(tag, 'options.tags[0]'), 'TSKO_INVALID_REFERENCE', tag.slice(0, 40)));
  }
  it('names the field it came from', () =>
    refused(() => parseTag('../x', 'options.tags[2]'), 'TSKO_INVALID_REFERENCE', 'options.tags[2]'));
  for (const tag of ['latest', 'v1.2.3', 'V1', '_x', '1', 'a-b_c.d', 'x'.repeat(128), 'sha256-abc']) {
    it(`accepts tag ${JSON.stringify(tag.slice(0, 20))}`, () => assert.equal(parseTag(tag), tag));
  }
  it('refuses a non-string tag', () => refused(() => parseTag(42), 'TSKO_INVALID_REFERENCE', '42'));
});

describe('digests are canonical sha256/sha512 of the right length', () => {
  const hostile = [
    'sha256:../..',
    'sha256:../../x',
    `sha256:${HEX.toUpperCase()}`,
    `sha256:${HEX.slice(1)}`,
    `sha256:${HEX}0`,
    `sha512:${HEX}`,
    `SHA256:${HEX}`,
    `sha256:${HEX}/..`,
    `sha256:${HEX.slice(2)}..`,
    `md5:${HEX.slice(0, 32)}`,
    `sha256:`,
    ':',
    '',
    'sha256',
    HEX,
    `sha256:${HEX}\n`,
    `sha256: ${HEX.slice(1)}`,
    `sha256:%2e%2e${HEX.slice(6)}`,
  ];
  for (const d of hostile) {
    it(`refuses digest ${JSON.stringify(d.slice(0, 30))}`, () =>
      refused(() => parseDigestReference(d), 'TSKO_INVALID_REFERENCE', d.slice(0, 20)));
  }
  it('accepts sha256 and sha512', () => {
    assert.equal(parseDigestReference(D), D);
    const d512 = `sha512:${'ab'.repeat(64)}`;
    assert.equal(parseDigestReference(d512), d512);
  });
  it('an identifier with a colon is a digest, without one a tag', () => {
    assert.equal(parseManifestIdentifier(D), D);
    assert.equal(parseManifestIdentifier('v1'), 'v1');
    refused(() => parseManifestIdentifier('sha256:../../prod'), 'TSKO_INVALID_REFERENCE', 'sha256:../../prod');
    refused(() => parseManifestIdentifier('../prod'), 'TSKO_INVALID_REFERENCE', '../prod');
  });
});

describe('repository paths cannot leave their repository', () => {
  const hostile = [
    '',
    '..',
    'dev/..',
    'dev/../prod/app',
    '/dev',
    'dev/',
    'dev//app',
    'Dev/app',
    'dev/app:1',
    'dev/app@x',
    'dev/%2e%2e/app',
    'dev/app/manifests/../x',
    '.a',
    'a.',
    'a--',
    'a b',
    'x'.repeat(256),
  ];
  for (const repo of hostile) {
    it(`refuses repository ${JSON.stringify(repo.slice(0, 30))}`, () =>
      refused(() => parseRepositoryPath(repo), 'TSKO_INVALID_REFERENCE', repo.slice(0, 30)));
  }
  for (const repo of ['app', 'team/app', 'a/b/c/d', 'a.b', 'a_b', 'a__b', 'a---b', '0']) {
    it(`accepts repository ${repo}`, () => assert.equal(parseRepositoryPath(repo), repo));
  }
});

describe('no API path outside the grammar is ever sent', () => {
  for (const path of [
    '/v2/dev/scratch/manifests/../../../prod/app/manifests/latest',
    '/v2/dev/scratch/manifests/%2e%2e',
    '/v2/team/app/blobs/sha256:../../x',
    '/v2/team/app/blobs/latest',
    '/v2/team/app/manifests/',
    '/v2/../x/blobs/uploads/',
    '/v2/team/app/tags/list',
    '/v3/team/app/manifests/v1',
    '/v2/team/app/manifests/v1?x=1',
    'http://evil/v2/team/app/manifests/v1',
    '/v2/team/app/referrers/latest',
    '/v2/team/app/referrers/sha256:../../x',
    `/v2/team/../referrers/${D}`,
    '/v2',
    '/v2//',
    '/v2/?x',
  ]) {
    it(`refuses ${path}`, () =>
      assert.throws(
        () => checkApiPath(path),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_REFERENCE'),
      ));
  }
  for (const path of [
    '/v2/team/app/manifests/v1',
    `/v2/team/app/manifests/${D}`,
    `/v2/team/app/blobs/${D}`,
    '/v2/team/app/blobs/uploads/',
    '/v2/a/manifests/latest',
    `/v2/team/app/referrers/${D}`,
    '/v2/',
  ]) {
    it(`allows ${path.slice(0, 60)}`, () => assert.doesNotThrow(() => checkApiPath(path)));
  }
});

describe('manifests are validated before a digest in them is used', () => {
  const manifest = (config: string, layers: string[] = [D]) =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: layers.map((digest) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: 1 })),
    });
  for (const bad of [
    'sha256:../../x',
    `sha256:${HEX.toUpperCase()}`,
    `sha256:${HEX.slice(1)}`,
    'sha256:/etc/passwd',
    `blake3:${HEX}`,
  ]) {
    it(`refuses a config digest ${JSON.stringify(bad.slice(0, 24))}`, () =>
      refused(() => parseImageManifest(Buffer.from(manifest(bad))), 'TSKO_INVALID_MANIFEST', 'config.digest'));
    it(`refuses a layer digest ${JSON.stringify(bad.slice(0, 24))}`, () =>
      refused(
        () => parseImageManifest(Buffer.from(manifest(D, [D, bad]))),
        'TSKO_INVALID_MANIFEST',
        'layers.1.digest',
      ));
    it(`refuses an index child digest ${JSON.stringify(bad.slice(0, 24))}`, () => {
      const index = JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: bad, size: 1 }],
      });
      refused(() => parseIndexManifest(Buffer.from(index)), 'TSKO_INVALID_MANIFEST', 'manifests.0.digest');
    });
  }
  it('accepts a well-formed manifest', () =>
    assert.equal(parseImageManifest(Buffer.from(manifest(D))).config.digest, D));
  it('the descriptor schema refuses a traversal digest', () =>
    assert.equal(descriptorSchema.safeParse({ mediaType: 'x', digest: 'sha256:../../x', size: 1 }).success, false));
});

describe('references given as objects are checked part by part', () => {
  for (const [why, ref, names] of [
    ['registry with a path', { registry: 'evil.test/x', repository: 'a' }, 'evil.test/x'],
    ['registry with a query', { registry: 'evil.test?', repository: 'a' }, 'evil.test?'],
    ['registry with userinfo', { registry: 'user:pw@evil.test', repository: 'a' }, 'user:pw@evil.test'],
    ['empty registry', { registry: '', repository: 'a' }, 'registry'],
    ['repository traversal', { registry: 'r.test', repository: 'a/../b' }, 'a/../b'],
    ['tag traversal', { registry: 'r.test', repository: 'a', tag: '../b' }, '../b'],
    ['digest traversal', { registry: 'r.test', repository: 'a', digest: 'sha256:../b' }, 'sha256:../b'],
  ] as const) {
    it(`refuses a ${why}`, () => refused(() => checkReferenceParts(ref), 'TSKO_INVALID_REFERENCE', names));
  }
  it('accepts host:port, IPv6 and a digest', () => {
    assert.doesNotThrow(() => checkReferenceParts({ registry: '[::1]:5000', repository: 'a/b', tag: 'v1', digest: D }));
    assert.doesNotThrow(() => checkReferenceParts({ registry: 'localhost', repository: 'a' }));
  });
});
