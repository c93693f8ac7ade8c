import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { publish } from '@tsko/core';
import { pushArtifact } from '@tsko/registry';
import { startFaultProxy, startRegistry, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, pushBaseIndex, testEnvironment } from './helpers.js';

/**
 * What a publish sends for an SBOM tag that does not yet hold this publish's SBOM, read from
 * the registry's own access log. Distribution 2.8 has no referrers API, so the SBOM goes under
 * cosign's tag: one HEAD finds what the tag holds, and one PUT replaces it.
 */
describe('an SBOM tag that does not hold this SBOM', () => {
  let registry: TestRegistry;
  let baseRef: string;
  before(async () => {
    registry = await startRegistry('plain');
    baseRef = (await pushBaseIndex(registry)).ref;
  });
  after(() => registry?.stop());

  const options = (repo: string, sbom: 'spdx' | 'none' = 'spdx', host = registry.host) => ({
    dir: FIXTURE,
    repo: `${host}/${repo}`,
    baseImage: baseRef,
    platforms: ['linux/amd64'],
    naming: 'bare' as const,
    sbom,
    environment: testEnvironment(),
  });

  /** Requests to one manifest path since `from`, as `METHOD status`. */
  async function manifestRequests(from: number, path: string): Promise<string[]> {
    return (await registry.requests())
      .slice(from)
      .filter((r) => r.path === path)
      .map((r) => `${r.method} ${r.status}`);
  }

  it('is HEADed once and then written, when another SBOM is under the tag', async () => {
    const first = await publish('./cmd/server', options('changed'));
    const sbom = first.sboms[0]!;
    const [repository, tag] = sbom.ref.slice(registry.host.length + 1).split(':') as [string, string];
    // Someone else's document under cosign's tag for this image: the same subject, other bytes.
    await pushArtifact(`${registry.host}/${repository}:${tag}`, {
      configMediaType: 'application/vnd.example.other+json',
      config: Buffer.from('{"not":"this publish\'s sbom"}'),
      layers: [],
    });
    const seen = (await registry.requests()).length;
    const second = await publish('./cmd/server', options('changed'));
    assert.equal(second.digest, first.digest, 'the image itself is unchanged');
    assert.deepEqual(second.sboms, first.sboms);
    assert.deepEqual(await manifestRequests(seen, `/v2/${repository}/manifests/${tag}`), ['HEAD 200', 'PUT 201']);
  });

  it('is HEADed once and then written, when the tag is absent', async () => {
    const first = await publish('./cmd/server', options('absent', 'none'));
    assert.deepEqual(first.sboms, []);
    const seen = (await registry.requests()).length;
    const second = await publish('./cmd/server', options('absent'));
    assert.equal(second.digest, first.digest, 'an SBOM changes nothing in the image');
    const [repository, tag] = second.sboms[0]!.ref.slice(registry.host.length + 1).split(':') as [string, string];
    assert.deepEqual(await manifestRequests(seen, `/v2/${repository}/manifests/${tag}`), ['HEAD 404', 'PUT 201']);
  });

  it('takes a 403 to its HEAD as absent and writes it, as pushImage does for image tags', async () => {
    // Artifactory answers 403 for a manifest that is not there (RTFACT-13797). The fault proxy
    // is a test double: distribution cannot be told to answer so.
    const proxy = await startFaultProxy(registry.host, [
      { match: (req) => req.method === 'HEAD' && /\.sbom$/.test(req.url ?? ''), times: 1, action: { status: 403 } },
    ]);
    try {
      const seen = (await registry.requests()).length;
      const result = await publish('./cmd/server', options('forbidden', 'spdx', proxy.host));
      assert.deepEqual(
        proxy.faults.map((f) => f.replace(/sha256-[0-9a-f]+/, 'TAG')),
        ['rule HEAD /v2/forbidden/manifests/TAG.sbom'],
      );
      const [repository, tag] = result.sboms[0]!.ref.slice(proxy.host.length + 1).split(':') as [string, string];
      assert.deepEqual(await manifestRequests(seen, `/v2/${repository}/manifests/${tag}`), ['PUT 201']);
    } finally {
      await proxy.close();
    }
  });
});
