// Measurement: how often a shared-cache hit reads the project's files. Machine A publishes N
// programs of the rig's many-programs module with the shared build cache; machine B (the
// project copied to another folder, an empty tsko cache, the rig's warm GOCACHE) publishes
// them again and is answered by the cache. Counted on B: every open of a file under its
// project through fs.createReadStream or fs.promises.readFile (how tsko hashes inputs), and
// the publish's wall time. A registry from the test rig on 127.0.0.1.
//
//   node --import tsx bench/shared-hit-reads.ts     (BENCH_PROGRAMS=20, BENCH_REPS=3)
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publish, type CoreEvent, type PublishOptions } from '@tsko/core';
import { goTestEnvironment, startRegistry, writeManyPrograms } from '@tsko/test-rig';

const programCount = Number(process.env.BENCH_PROGRAMS ?? 20);
const reps = Number(process.env.BENCH_REPS ?? 3);

/** Counts opens of files under `root` while `run` runs (the ESM bindings of node:fs follow the patch). */
async function countReads(root: string, run: () => Promise<unknown>): Promise<number> {
  let reads = 0;
  const count = (p: unknown) => {
    if (String(p).startsWith(root)) reads++;
  };
  const { createReadStream } = fs;
  const { readFile } = fsp;
  fs.createReadStream = ((p: fs.PathLike, o?: unknown) => {
    count(p);
    return createReadStream(p, o as never);
  }) as never;
  fsp.readFile = ((p: fs.PathLike, o?: unknown) => {
    count(p);
    return readFile(p, o as never);
  }) as never;
  syncBuiltinESMExports();
  try {
    await run();
  } finally {
    fs.createReadStream = createReadStream;
    fsp.readFile = readFile;
    syncBuiltinESMExports();
  }
  return reads;
}

/** Project-file reads and wall time of B's publish, once per repetition, each on a fresh machine B. */
export async function sharedHitReads(
  scratchRoot: string,
  registry: string,
): Promise<{ programs: number; reads: number[]; ms: number[] }> {
  const env = goTestEnvironment({ GOPROXY: 'off' });
  const options = (root: string, onEvent?: (e: CoreEvent) => void): PublishOptions => ({
    dir: join(root, 'many'),
    repo: `${registry}/hit`,
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    push: false,
    cacheDir: join(root, 'tsko-cache'),
    environment: env,
    buildCache: { repo: `${registry}/team/cache` },
    ...(onEvent ? { onEvent } : {}),
  });
  const a = join(scratchRoot, 'a');
  const paths = await writeManyPrograms(join(a, 'many'), programCount);
  await publish(paths, options(a));
  const out = { programs: paths.length, reads: [] as number[], ms: [] as number[] };
  for (let i = 0; i < reps; i++) {
    const b = join(scratchRoot, `b${i}`);
    await writeManyPrograms(join(b, 'many'), programCount);
    let hits = 0;
    const started = performance.now();
    const reads = await countReads(join(b, 'many'), () =>
      publish(
        paths,
        options(b, (e) => {
          if (e.type === 'build:shared-cache' && e.result === 'hit') hits++;
        }),
      ),
    );
    out.ms.push(Math.round(performance.now() - started));
    if (hits !== paths.length) throw new Error(`expected ${paths.length} shared-cache hits on B, saw ${hits}`);
    out.reads.push(reads);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scratch = mkdtempSync(join(tmpdir(), 'tsko-bench-hit-'));
  const registry = await startRegistry('plain');
  try {
    const r = await sharedHitReads(scratch, registry.host);
    console.log(`shared-cache hit of ${r.programs} programs on a fresh machine:`);
    console.log(`  project file reads: ${r.reads.join(', ')}`);
    console.log(`  publish ms:         ${r.ms.join(', ')}`);
  } finally {
    await registry.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
