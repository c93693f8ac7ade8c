// Measures how many pushes and publishes survive a registry proxy that fails a share of
// requests with every kind of fault (issue 7 group 4). Counts successes instead of stopping at
// the first failure, and times each kind of run, with the library's default retry policy.
//
//   pnpm build && node --import tsx bench/faults.ts     (FAULT_RATE=0.2 FAULT_RUNS=20 FAULT_SEED=7)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publish } from '@tsko/core';
import { appendLayers, pullImage, pushImage, sha256 } from '@tsko/registry';
import { goTestEnvironment, skopeoRaw, startFaultProxy, startRegistry, tarLayer, testImage } from '@tsko/test-rig';

const rate = Number(process.env.FAULT_RATE ?? 0.2);
const runs = Number(process.env.FAULT_RUNS ?? 20);
const seed = Number(process.env.FAULT_SEED ?? 7);
const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };
const fixture = fileURLToPath(new URL('../packages/core/test/fixtures/faults', import.meta.url));

const registry = await startRegistry('plain');
const cacheDir = await mkdtemp(join(tmpdir(), 'tsko-bench-faults-'));
try {
  await pushImage(await testImage('bench-base', undefined, 2), `${registry.host}/base/img:1`, { env });
  const proxy = await startFaultProxy(registry.host, [], { rate, seed, stallMs: 150, retryAfter: '1' });
  const failures: string[] = [];
  const count = async (what: string, i: number, run: () => Promise<{ digest: string }>, tag: string) => {
    try {
      const result = await run();
      // Storage must agree: the tag reads back, directly from the registry, as that digest.
      if (sha256(await skopeoRaw(registry, `${registry.host}/${tag}`)) !== result.digest)
        throw new Error('stored digest differs');
      return 1;
    } catch (err) {
      failures.push(`${what} ${i}: ${(err as { code?: string }).code ?? ''} ${(err as Error).message.slice(0, 160)}`);
      return 0;
    }
  };
  let pushes = 0;
  let started = performance.now();
  for (let i = 0; i < runs; i++) {
    pushes += await count(
      'push',
      i,
      async () => {
        const from = await pullImage(`${proxy.host}/base/img:1`, { env });
        const image = appendLayers(from, [
          { layer: await tarLayer({ [`app-${i}.txt`]: randomBytes(96 * 1024).toString('base64') }) },
        ]);
        return pushImage(image, `${proxy.host}/bench/app${i}:v1`, { env });
      },
      `bench/app${i}:v1`,
    );
  }
  const pushMs = performance.now() - started;
  let publishes = 0;
  started = performance.now();
  for (let i = 0; i < runs; i++) {
    publishes += await count(
      'publish',
      i,
      () =>
        publish('./cmd/ping', {
          dir: fixture,
          repo: `${proxy.host}/pub/run${i}`,
          naming: 'bare',
          baseImage: `${proxy.host}/base/img:1`,
          platforms: ['linux/amd64'],
          tags: ['v1'],
          environment: goTestEnvironment(),
          cacheDir,
        }),
      `pub/run${i}:v1`,
    );
  }
  const publishMs = performance.now() - started;
  console.log(`fault rate ${rate}, seed ${seed}: ${proxy.faults.length} faults in ${proxy.seen.length} requests`);
  console.log(`  pushes:    ${pushes}/${runs} succeeded, ${(pushMs / 1000).toFixed(1)} s`);
  console.log(`  publishes: ${publishes}/${runs} succeeded, ${(publishMs / 1000).toFixed(1)} s`);
  for (const f of failures) console.log(`  ${f}`);
  await proxy.close();
} finally {
  await registry.stop();
  await rm(cacheDir, { recursive: true, force: true });
}
