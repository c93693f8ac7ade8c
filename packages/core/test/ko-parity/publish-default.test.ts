// Cases ported from ko (github.com/ko-build/ko) pkg/publish/default_test.go, pushed to a real
// registry: ko publishes github.com/Google/go-containerregistry/cmd/crane under <host>/blah,
// as an image and as an index. The fixture module has that mixed-case path. Also
// pkg/publish/tarball_test.go (same names into a docker archive). Not applicable:
// layout_test.go expects the layout path as the reference (see README, deliberate differences).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build, publish, type Image, type PublishOptions } from '@tsko/core';
import { sha256 } from '@tsko/registry';
import { runOk, skopeoRaw, startRegistry, type TestRegistry } from '@tsko/test-rig';
import { pushBaseIndex, testEnvironment } from '../helpers.js';

const MIXED = fileURLToPath(new URL('../fixtures/mixed-case', import.meta.url));
const IMPORT_PATH = 'github.com/Google/go-containerregistry/cmd/crane';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('pkg/publish/default_test.go', () => {
  let registry: TestRegistry;
  let base: string;
  before(async () => {
    registry = await startRegistry('plain');
    base = (await pushBaseIndex(registry)).ref;
  });
  after(() => registry?.stop());
  const options = (extra: PublishOptions = {}) => ({
    dir: MIXED,
    repo: `${registry.host}/blah`,
    baseImage: base,
    environment: testEnvironment(),
    ...extra,
  });

  for (const [kind, platforms] of [
    ['image', ['linux/amd64']],
    ['index', ['linux/amd64', 'linux/arm64']],
  ] as const) {
    it(`TestDefault (${kind}): the identity namer puts it under <repo>/<lower-cased import path>`, async () => {
      const result = await publish(
        `ko://${IMPORT_PATH}`,
        options({ naming: 'preserveImportPaths', platforms: [...platforms] }),
      );
      const repository = `${registry.host}/blah/${IMPORT_PATH.toLowerCase()}`;
      assert.equal(result.ref, `${repository}@${result.digest}`);
      assert.equal(sha256(await skopeoRaw(registry, `${repository}:latest`)), result.digest);
    });
    it(`TestDefaultWithCustomNamer (${kind}): the md5 name hashes the lower-cased import path`, async () => {
      const result = await publish('./cmd/crane', options({ platforms: [...platforms] }));
      assert.equal(result.ref, `${registry.host}/blah/crane-${md5(IMPORT_PATH.toLowerCase())}@${result.digest}`);
    });
  }

  it('TestDefaultWithTags: both tags name the same digest, and the reference carries the digest only', async () => {
    const result = await publish(
      './cmd/crane',
      options({
        naming: 'preserveImportPaths',
        tags: ['notLatest', 'v1.2.3'],
        platforms: ['linux/amd64', 'linux/arm64'],
      }),
    );
    const repository = `${registry.host}/blah/${IMPORT_PATH.toLowerCase()}`;
    assert.equal(result.ref, `${repository}@${result.digest}`);
    const first = (await skopeoRaw(registry, `${repository}:notLatest`)).toString();
    const second = (await skopeoRaw(registry, `${repository}:v1.2.3`)).toString();
    assert.equal(first, second);
    assert.equal(JSON.parse(first).mediaType, result.mediaType);
  });

  it('TestDefaultWithReleaseTag: one release tag is created and included in the reference; tag-only drops the digest', async () => {
    const result = await publish(
      './cmd/crane',
      options({ naming: 'preserveImportPaths', tags: ['v1.2.3'], platforms: ['linux/amd64'] }),
    );
    const repository = `${registry.host}/blah/${IMPORT_PATH.toLowerCase()}`;
    assert.equal(result.ref, `${repository}:v1.2.3@${result.digest}`);
    const list = (await (
      await fetch(`http://${registry.host}/v2/blah/${IMPORT_PATH.toLowerCase()}/tags/list`)
    ).json()) as { tags: string[] };
    assert.ok(list.tags.includes('v1.2.3'));
    const tagOnly = await publish(
      './cmd/crane',
      options({ naming: 'preserveImportPaths', tags: ['v1.2.3'], tagOnly: true, platforms: ['linux/amd64'] }),
    );
    assert.equal(tagOnly.ref, `${repository}:v1.2.3`);
    assert.doesNotMatch(tagOnly.ref, /@sha256:/);
  });

  it('baseImageOverrides keyed by the lower-cased import path apply to the mixed-case one (ko through viper)', async () => {
    const result = await publish(
      './cmd/crane',
      options({
        push: false,
        baseImage: 'scratch',
        baseImageOverrides: { [IMPORT_PATH.toLowerCase()]: base },
        platforms: ['linux/amd64'],
      }),
    );
    const built = await build(
      './cmd/crane',
      options({
        baseImage: 'scratch',
        baseImageOverrides: { [IMPORT_PATH.toLowerCase()]: base },
        platforms: ['linux/amd64'],
      }),
    );
    assert.equal((built.image as Image).manifest.annotations?.['org.opencontainers.image.base.name'], base);
    assert.equal(
      result.ref,
      `${registry.host}/blah/crane-${md5(IMPORT_PATH.toLowerCase())}:latest@${result.digest}`,
      'push: false keeps the tag',
    );
  });
});

describe('pkg/publish/tarball_test.go', () => {
  // No tags, one tag, several: the reference always lands in the lower-cased md5 repository.
  // A repeated tag counts once (ko's makePublisher: unique(po.Tags)).
  for (const tags of [[], ['v0.1.0'], ['latest', 'debug'], ['v2', 'v2']]) {
    it(`tags ${JSON.stringify(tags)}: example.com/blah/crane-<md5 of the lower-cased path>, in the reference and the archive`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tsko-tarball-'));
      try {
        const tarball = join(dir, 'images.tar');
        const result = await publish('./cmd/crane', {
          dir: MIXED,
          repo: 'example.com/blah',
          baseImage: 'scratch',
          push: false,
          tags,
          platforms: ['linux/amd64'],
          sinks: [{ type: 'tarball', path: tarball }],
          environment: testEnvironment(),
        });
        const repository = `example.com/blah/crane-${md5(IMPORT_PATH.toLowerCase())}`;
        assert.ok(result.ref.startsWith(`${repository}`), result.ref);
        const unique = [...new Set(tags)];
        assert.equal(
          result.ref,
          unique.length === 1 && unique[0] !== 'latest'
            ? `${repository}:${unique[0]}@${result.digest}`
            : `${repository}@${result.digest}`,
        );
        assert.deepEqual(result.tags, unique);
        const manifest = JSON.parse(await runOk('tar', ['-xOf', tarball, 'manifest.json'])) as {
          RepoTags: string[] | null;
        }[];
        assert.deepEqual(
          manifest.flatMap((m) => m.RepoTags ?? []).sort(),
          unique.map((t) => `${repository}:${t}`).sort(),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
