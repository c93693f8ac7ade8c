import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isTskoError, publish, type PublishOptions } from '@tsko/core';
import { listReferrers, type Digest } from '@tsko/registry';
import {
  goTestEnvironment,
  pushStaticBase,
  startReferrersRegistry,
  startRegistry,
  type ReferrersRegistry,
  type TestRegistry,
} from '@tsko/test-rig';

const PEER = fileURLToPath(new URL('../ko-peer/fixtures/peer', import.meta.url));

interface ReferrersIndex {
  mediaType: string;
  manifests: { digest: string; mediaType: string }[];
}

/** The referrers API answered by the registry itself, read without tsko. */
async function referrersOf(
  host: string,
  repository: string,
  digest: string,
): Promise<{ status: number; index?: ReferrersIndex }> {
  const res = await fetch(`http://${host}/v2/${repository}/referrers/${digest}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  });
  return res.status === 200 ? { status: 200, index: (await res.json()) as ReferrersIndex } : { status: res.status };
}

async function tagsOf(host: string, repository: string): Promise<string[]> {
  return ((await (await fetch(`http://${host}/v2/${repository}/tags/list`)).json()) as { tags: string[] }).tags.sort();
}

const repositoryOf = (host: string, ref: string) => ref.slice(host.length + 1).replace(/[@:].*$/, '');

describe('SBOMs as OCI 1.1 referrers, with the tag scheme where the registry has no referrers API', () => {
  let modern: ReferrersRegistry;
  let legacy: TestRegistry;
  let modernBase: string;
  let legacyBase: string;
  before(async () => {
    [modern, legacy] = await Promise.all([startReferrersRegistry(), startRegistry('plain')]);
    [modernBase, legacyBase] = await Promise.all([pushStaticBase(modern.host), pushStaticBase(legacy.host)]);
  });
  after(async () => {
    await modern?.stop();
    await legacy?.stop();
  });

  const options = (host: string, base: string, extra: Partial<PublishOptions> = {}): PublishOptions => ({
    dir: PEER,
    repo: `${host}/sbom`,
    baseImage: base,
    platforms: ['linux/amd64', 'linux/arm64'],
    environment: goTestEnvironment(),
    ...extra,
  });

  it('by default, a registry with the referrers API lists each SBOM under its image and index, and no .sbom tags are made', async () => {
    const result = await publish('./cmd/server', options(modern.host, modernBase));
    const repository = repositoryOf(modern.host, result.ref);
    assert.equal(result.sboms.length, 3, 'one per platform image and one for the index');
    for (const sbom of result.sboms) {
      assert.equal(sbom.attachment, 'referrers');
      assert.equal(sbom.ref, `${modern.host}/${repository}@${sbom.digest}`);
      const { status, index } = await referrersOf(modern.host, repository, sbom.subject);
      assert.equal(status, 200);
      assert.deepEqual(
        index!.manifests.map((m) => m.digest),
        [sbom.digest],
        `the referrers of ${sbom.subject}`,
      );
    }
    assert.deepEqual(
      new Set(result.sboms.map((s) => s.subject)),
      new Set([result.digest, ...result.platforms.map((p) => p.digest)]),
    );
    assert.deepEqual(await tagsOf(modern.host, repository), ['latest']);
    // tsko's own reader agrees with the raw API.
    const listed = await listReferrers(`${modern.host}/${repository}`, result.digest as Digest);
    assert.deepEqual(
      listed?.map((d) => d.digest),
      result.sboms.filter((s) => s.subject === result.digest).map((s) => s.digest),
    );
  });

  it('both: the cosign tag and the referrers listing', async () => {
    const result = await publish(
      './cmd/server',
      options(modern.host, modernBase, { platforms: ['linux/amd64'], sbomAttachment: 'both', tags: ['both'] }),
    );
    const repository = repositoryOf(modern.host, result.ref);
    const [sbom] = result.sboms;
    assert.equal(sbom!.attachment, 'both');
    assert.equal(sbom!.ref, `${modern.host}/${repository}:${result.digest.replace(':', '-')}.sbom`);
    assert.ok((await tagsOf(modern.host, repository)).includes(`${result.digest.replace(':', '-')}.sbom`));
    assert.deepEqual(
      (await referrersOf(modern.host, repository, result.digest)).index!.manifests.map((m) => m.digest),
      [sbom!.digest],
    );
  });

  it("on distribution 2.8 (no referrers API) the default falls back to cosign's tag, and asking for referrers fails clearly", async () => {
    const result = await publish('./cmd/server', options(legacy.host, legacyBase));
    const repository = repositoryOf(legacy.host, result.ref);
    for (const sbom of result.sboms) {
      assert.equal(sbom.attachment, 'tag');
      assert.equal(sbom.ref, `${legacy.host}/${repository}:${sbom.subject.replace(':', '-')}.sbom`);
    }
    assert.deepEqual(
      await tagsOf(legacy.host, repository),
      ['latest', ...result.sboms.map((s) => `${s.subject.replace(':', '-')}.sbom`)].sort(),
    );
    assert.equal(
      (await referrersOf(legacy.host, repository, result.digest)).status,
      404,
      'distribution 2.8 has no referrers API',
    );
    const probes = (await legacy.requests()).filter((r) => r.method === 'GET' && r.path.includes('/referrers/'));
    assert.ok(probes.length >= 1 && probes.every((p) => p.status === 404), 'publish asked the registry and got 404');

    await assert.rejects(
      publish('./cmd/server', options(legacy.host, legacyBase, { sbomAttachment: 'referrers' })),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_REFERRERS_UNSUPPORTED'), String(err));
        assert.match(err.message, /sbomAttachment: 'tag'/);
        return true;
      },
    );
  });

  it("tag: ko's scheme even where the referrers API exists (and the registry still lists it by subject)", async () => {
    const probes = async () => (await modern.requests()).filter((r) => r.path.includes('/referrers/')).length;
    const before = await probes();
    const result = await publish(
      './cmd/server',
      options(modern.host, modernBase, { platforms: ['linux/amd64'], sbomAttachment: 'tag', tags: ['tagged'] }),
    );
    assert.equal(await probes(), before, 'tag mode does not probe the referrers API');
    const repository = repositoryOf(modern.host, result.ref);
    assert.equal(result.sboms[0]!.attachment, 'tag');
    assert.ok((await tagsOf(modern.host, repository)).includes(`${result.digest.replace(':', '-')}.sbom`));
    assert.deepEqual(
      (await referrersOf(modern.host, repository, result.digest)).index!.manifests.map((m) => m.digest),
      [result.sboms[0]!.digest],
    );
  });
});
