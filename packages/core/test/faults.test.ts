import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { publish } from '@tsko/core';
import { isTskoError, pushImage, sha256 } from '@tsko/registry';
import {
  FAULT_KINDS,
  skopeoRaw,
  startBlackHole,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type TestRegistry,
} from '@tsko/test-rig';
import { baseImage, testEnvironment } from './helpers.js';

/** A one-file standard-library Go program (see fixtures/faults/cmd/ping/main.go). */
const FIXTURE = fileURLToPath(new URL('./fixtures/faults', import.meta.url));
const SEED = Number(process.env.TSKO_FAULT_SEED ?? 11);

describe('publish heals registry faults', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let base: string;
  let cacheDir: string;
  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'tsko-faults-cache-'));
    registry = await startRegistry('plain');
    // The base goes in directly; every publish then reads it through the faulty proxy.
    await pushImage(await baseImage({ os: 'linux', architecture: 'amd64' }), `${registry.host}/base/static:1`, {
      env: { HOME: '/nonexistent' },
    });
    // The fault proxy is a test double in front of the real registry (distribution cannot be
    // told to fail on demand).
    proxy = await startFaultProxy(registry.host, [], { rate: 0.2, seed: SEED, stallMs: 150, retryAfter: '1' });
    base = `${proxy.host}/base/static:1`;
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('20 of 20 publish calls succeed through a proxy failing 20% of requests, and skopeo reads every tag', async () => {
    const results = [];
    for (let i = 0; i < 20; i++) {
      // A fresh repository each time, so the binary layer, config, SBOM and manifests are
      // uploaded again (the base's layer is mounted) rather than found in place.
      results.push(
        await publish('./cmd/ping', {
          dir: FIXTURE,
          repo: `${proxy.host}/faults/run${i}`,
          naming: 'bare',
          baseImage: base,
          platforms: ['linux/amd64'],
          tags: ['v1'],
          environment: testEnvironment(),
          cacheDir,
          retry: { baseDelayMs: 10, maxDelayMs: 100 },
        }),
      );
    }
    const kinds = new Set(proxy.faults.map((f) => f.split(' ')[0]));
    for (const kind of FAULT_KINDS)
      assert.ok(kinds.has(kind), `fault kind ${kind} was injected (${[...kinds].join(', ')})`);
    for (const [i, result] of results.entries()) {
      assert.equal(
        sha256(await skopeoRaw(registry, `${registry.host}/faults/run${i}:v1`)),
        result.digest,
        `run${i}:v1`,
      );
      for (const sbom of result.sboms)
        assert.ok((await skopeoRaw(registry, sbom.ref.replace(proxy.host, registry.host))).length > 0, sbom.ref);
    }
  });

  it('a hung registry fails publish typed within its timeouts option', async () => {
    const hole = await startBlackHole();
    try {
      const started = Date.now();
      await assert.rejects(
        publish('./cmd/ping', {
          dir: FIXTURE,
          repo: `${hole.host}/faults`,
          baseImage: `${hole.host}/base:1`,
          environment: testEnvironment(),
          cacheDir,
          timeouts: { requestMs: 1500 },
        }),
        (err: unknown) => isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') && err.message.includes(hole.host),
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1400 && elapsed < 5000, `took ${elapsed} ms`);
    } finally {
      await hole.close();
    }
  });
});
