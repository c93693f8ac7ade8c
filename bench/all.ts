// `pnpm bench`: every benchmark row against its peer in one run, repetitions interleaved,
// ratios with min and median. Under five minutes on an idle 2-core machine; each file's
// BENCH_* variables apply (BENCH_REPS is the warm rows' count), and BENCH_ALL_COLD_REPS sets
// the fresh-CI rows' (each repetition costs a cold go build and a cold ko build, 30 s each
// here, so they get one). A cold publish against a cold go build is `pnpm bench:publish`'s
// (BENCH_COLD_REPS), not repeated here. The machine is named in the output, since figures
// only mean something beside it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '@tsko/test-rig';
import { coldCiRows } from './cold-ci.js';
import { compareRows, median, printRows, type RowResult } from './compare.js';
import { gzipRows } from './gzip.js';
import { importDeltas, importTimeRows } from './import-time.js';
import { manyProgramsRows } from './many-programs.js';
import { publishRows, warmReps } from './publish.js';
import { pushRows } from './push-large.js';
import { repeatCallCounts, repeatCallsRows } from './repeat-calls.js';

const largeReps = Number(process.env.BENCH_REPS_LARGE ?? 3);
const coldReps = Number(process.env.BENCH_ALL_COLD_REPS ?? 1);
const started = performance.now();
const load = () => loadavg()[0]!.toFixed(1);
const loads = [load()];
const dir = mkdtempSync(join(tmpdir(), 'tsko-bench-all-'));
for (const sub of ['publish', 'repeat', 'many', 'cold-ci', 'gzip', 'push']) mkdirSync(join(dir, sub));
const registry = await startRegistry('plain');
try {
  const results: RowResult[] = [];
  const imports = await compareRows(importTimeRows(), warmReps);
  results.push(...imports);
  const { warm } = await publishRows(join(dir, 'publish'), registry.host);
  results.push(...(await compareRows(warm, warmReps)));
  results.push(...(await compareRows(await repeatCallsRows(registry.host, join(dir, 'repeat')), warmReps)));
  const repeatCounts = await repeatCallCounts(registry.host);
  loads.push(load());
  const many = await manyProgramsRows(join(dir, 'many'), registry.host);
  // Warm before changed: a changed row leaves the two sides built from different sources.
  results.push(...(await compareRows(many.warm, warmReps)), ...(await compareRows(many.changed, largeReps)));
  loads.push(load());
  results.push(...(await compareRows(await coldCiRows(join(dir, 'cold-ci'), registry.host), coldReps)));
  loads.push(load());
  results.push(...(await compareRows(await gzipRows(join(dir, 'gzip')), largeReps)));
  const push = await pushRows(join(dir, 'push'));
  results.push(...(await compareRows(push.rows, largeReps)));
  loads.push(load());
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `machine: ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; load average (1 min) during the run: ${loads.join(', ')}`,
  );
  printRows('tsko vs its peers (ratio = tsko time / peer time; below 1 is faster)', results);
  for (const d of importDeltas(imports)) {
    console.log(`${d.name} over bare node: min ${d.minMs.toFixed(0)} ms, median ${d.medianMs.toFixed(0)} ms`);
  }
  console.log(
    `no-op pushImage calls in one process, HTTP requests per call: ${repeatCounts.requests.join(' ')}; new TCP connections: ${repeatCounts.connections.join(' ')}`,
  );
  console.log(
    `push peak RSS, median: skopeo ${median(push.rss.skopeo).toFixed(0)} MiB, tsko ${median(push.rss.tsko).toFixed(0)} MiB`,
  );
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
}
