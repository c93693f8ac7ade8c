// `pnpm bench`: every benchmark row against its peer in one run, repetitions interleaved,
// ratios with min and median. Under five minutes on a 2-core machine (BENCH_* variables of
// the single benchmarks apply). The machine is named in the output, since figures only mean
// something beside it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '@tsko/test-rig';
import { compareRows, median, printRows, type RowResult } from './compare.js';
import { gzipRows } from './gzip.js';
import { coldReps, publishRows, warmReps } from './publish.js';
import { pushRows } from './push-large.js';

const reps = Number(process.env.BENCH_REPS_LARGE ?? 3);
const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'tsko-bench-all-'));
for (const sub of ['publish', 'gzip', 'push']) mkdirSync(join(dir, sub));
const registry = await startRegistry('plain');
try {
  const results: RowResult[] = [];
  const { cold, warm } = await publishRows(join(dir, 'publish'), registry.host);
  results.push(...(await compareRows(warm, warmReps)), ...(await compareRows(cold, coldReps)));
  results.push(...(await compareRows(await gzipRows(join(dir, 'gzip')), reps)));
  const push = await pushRows(join(dir, 'push'));
  results.push(...(await compareRows(push.rows, reps)));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `machine: ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`,
  );
  printRows('tsko vs its peers (ratio = tsko time / peer time; below 1 is faster)', results);
  console.log(
    `push peak RSS, median: skopeo ${median(push.rss.skopeo).toFixed(0)} MiB, tsko ${median(push.rss.tsko).toFixed(0)} MiB`,
  );
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
}
