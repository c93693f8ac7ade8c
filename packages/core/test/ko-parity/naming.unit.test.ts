// Cases ported from ko (github.com/ko-build/ko): the inputs and expectations of its naming
// tests, restated against tsko's functions. Grouped by the ko file they come from.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference } from '@tsko/registry';
import {
  baseImageName,
  baseOverrideFor,
  checkRepo,
  formatDaemonRef,
  formatPublishedRef,
  formatUnpushedRef,
  imageRepository,
  isTskoError,
  publish,
} from '@tsko/core';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const D = `sha256:${'c'.repeat(64)}` as const;

describe('pkg/commands/options/namer_test.go', () => {
  // ko names registry.example.org/foo/bar + example.org/sample/cmd/example.
  const repo = 'registry.example.org/foo/bar';
  const path = 'example.org/sample/cmd/example';
  it('defaults: <repo>/<last element>-<md5 of the import path>', () => {
    assert.equal(imageRepository(repo, path), 'registry.example.org/foo/bar/example-51d74b7127c5f7495a338df33ecdeb19');
  });
  it('with preserve import paths', () => {
    assert.equal(
      imageRepository(repo, path, 'preserveImportPaths'),
      'registry.example.org/foo/bar/example.org/sample/cmd/example',
    );
  });
  it('with base import paths', () => {
    assert.equal(imageRepository(repo, path, 'baseImportPaths'), 'registry.example.org/foo/bar/example');
  });
  it('with bare', () => {
    assert.equal(imageRepository(repo, path, 'bare'), 'registry.example.org/foo/bar');
  });
  // Not applicable: "with custom namer" (PublishOptions.ImageNamer, a Go function value). A
  // library caller renames by choosing `repo` + `naming`, or by publishing with push: false
  // and copying the image themselves.
});

describe('pkg/publish/default_test.go (naming)', () => {
  // ko publishes github.com/Google/go-containerregistry/cmd/crane under <host>/blah.
  const mixed = 'github.com/Google/go-containerregistry/cmd/crane';
  it('TestDefault: the default (identity) namer lower-cases the import path', () => {
    assert.equal(
      imageRepository('127.0.0.1:5000/blah', mixed, 'preserveImportPaths'),
      '127.0.0.1:5000/blah/github.com/google/go-containerregistry/cmd/crane',
    );
  });
  it('TestDefaultWithCustomNamer: the md5 is of the lower-cased import path', () => {
    assert.equal(
      imageRepository('127.0.0.1:5000/blah', mixed),
      `127.0.0.1:5000/blah/crane-${md5(mixed.toLowerCase())}`,
    );
    assert.notEqual(imageRepository('r', mixed), `r/crane-${md5(mixed)}`);
  });
  it('TestDefaultWithReleaseTag: one release tag is in the reference; tag-only drops the digest', () => {
    assert.equal(formatPublishedRef('r/crane', D, ['v1.2.3'], false), `r/crane:v1.2.3@${D}`);
    assert.equal(formatPublishedRef('r/crane', D, ['v1.2.3'], true), 'r/crane:v1.2.3');
  });
  it('TestDefaultWithTags: several tags give a digest-only reference', () => {
    assert.equal(formatPublishedRef('r/crane', D, ['notLatest', 'v1.2.3'], false), `r/crane@${D}`);
  });
  it('the default tag latest is left out of a pushed reference', () => {
    assert.equal(formatPublishedRef('r/crane', D, ['latest'], false), `r/crane@${D}`);
  });
});

describe('pkg/commands/resolver.go (nopPublisher: push: false) and publish/daemon.go', () => {
  it('a build that is not pushed keeps its first tag, latest included', () => {
    assert.equal(formatUnpushedRef('test-abc', D, ['latest'], false), `test-abc:latest@${D}`);
    assert.equal(formatUnpushedRef('test-abc', D, ['test'], false), `test-abc:test@${D}`);
    assert.equal(formatUnpushedRef('test-abc', D, ['test'], true), 'test-abc:test');
    assert.equal(formatUnpushedRef('test-abc', D, [], false), `test-abc@${D}`);
  });
  it('without a repo, the name is the naming strategy alone (path.Join("", name))', () => {
    assert.equal(imageRepository('', 'github.com/google/ko/test'), `test-${md5('github.com/google/ko/test')}`);
    assert.equal(imageRepository('', 'github.com/google/ko/test', 'preserveImportPaths'), 'github.com/google/ko/test');
    assert.equal(imageRepository('', 'github.com/google/ko/test', 'baseImportPaths'), 'test');
  });
  it('ko.local images are named by a tag of the digest hex', () => {
    assert.equal(formatDaemonRef('ko.local/test', D), `ko.local/test:${'c'.repeat(64)}`);
  });
});

describe('pkg/commands/config.go (baseImageOverrides lookup)', () => {
  it('matches keys case-insensitively, either side, as ko does through viper', () => {
    const overrides = {
      'github.com/googlecloudplatform/foo/cmd/bar': 'base-a',
      'ko://example.com/Mixed/cmd': 'base-b',
    };
    assert.equal(baseOverrideFor(overrides, ['github.com/GoogleCloudPlatform/foo/cmd/bar']), 'base-a');
    assert.equal(baseOverrideFor(overrides, ['example.com/mixed/cmd']), 'base-b');
    assert.equal(baseOverrideFor(overrides, ['example.com/other']), undefined);
  });
  it('a later key wins when two differ only in case', () => {
    assert.equal(
      baseOverrideFor({ 'example.com/App': 'first', 'example.com/app': 'second' }, ['example.com/APP']),
      'second',
    );
  });
});

describe('pkg/build/gobuild.go (the base name in org.opencontainers.image.base.name)', () => {
  // ko records baseRef.Name(): go-containerregistry's fully qualified form.
  const cases: [string, string][] = [
    ['all.your/base', 'all.your/base:latest'], // gobuild_test.go's baseRef
    ['golang', 'index.docker.io/library/golang:latest'],
    ['docker.io/library/golang:1.22', 'index.docker.io/library/golang:1.22'],
    ['cgr.dev/chainguard/static', 'cgr.dev/chainguard/static:latest'],
    [`cgr.dev/chainguard/static:latest@${D}`, `cgr.dev/chainguard/static@${D}`],
    ['127.0.0.1:5000/base/static:v1', '127.0.0.1:5000/base/static:v1'],
  ];
  for (const [given, recorded] of cases)
    it(`${given} → ${recorded}`, () => assert.equal(baseImageName(parseReference(given)), recorded));
});

describe('what ko refuses before building (publish/default.go, commands/resolver.go)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsko-naming-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const refused = async (options: Parameters<typeof publish>[1], code: string, text: RegExp) => {
    await assert.rejects(
      publish('./cmd/x', { dir, cacheDir: false, environment: { PATH: process.env.PATH ?? '' }, ...options }),
      (err: unknown) => {
        assert.ok(isTskoError(err), String(err));
        assert.equal(err.code, code);
        assert.match(err.message, text);
        return true;
      },
    );
  };
  it('an upper-case KO_DOCKER_REPO path is refused, naming the variable', async () => {
    await refused(
      { environment: { KO_DOCKER_REPO: 'registry.example.com/Team' } },
      'TSKO_INVALID_REFERENCE',
      /KO_DOCKER_REPO="registry.example.com\/Team".*lowercase.*"registry.example.com\/team"/,
    );
    await refused({ repo: 'registry.example.com/Team', push: false }, 'TSKO_INVALID_REFERENCE', /options\.repo/);
  });
  it('a registry alone (any case, as DNS) and a trailing slash are accepted, as in ko', () => {
    for (const ok of ['Registry.Example.com', '127.0.0.1:5000', '[::1]:5000', 'registry.example.com/team/', 'ko.local'])
      assert.doesNotThrow(() => checkRepo(ok, 'options.repo'), ok);
    assert.throws(
      () => checkRepo('registry.example.com/a b', 'options.repo'),
      (err: unknown) => isTskoError(err, 'TSKO_INVALID_REFERENCE'),
    );
  });
  it("tagOnly with 'latest' is refused when pushing (ko: latest tag cannot be used in tag-only references)", async () => {
    await refused({ repo: 'registry.example.com/team', tagOnly: true }, 'TSKO_CONFIG_INVALID', /latest.*tag-only/);
  });
  it('no repo and push is refused (ko: KO_DOCKER_REPO environment variable is unset)', async () => {
    await refused({}, 'TSKO_NO_REPO', /KO_DOCKER_REPO/);
  });
  it('bare naming without a repo is refused (ko would print an empty name)', async () => {
    await refused({ push: false, naming: 'bare' }, 'TSKO_NO_REPO', /bare/);
  });
});
