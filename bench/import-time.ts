// Benchmark: importing each tsko package in a fresh Node process, against a bare `node -e 0`
// (the peer: Node's own start-up, which no library can remove). Each repetition is a new
// process, so nothing is cached between them but the operating system's page cache; the
// packages are imported from their built dist/ as users get them. Issue 11's target: at most
// 100 ms over bare node for @tsko/core, @tsko/registry and @tsko/resolve.
//
//   pnpm build && node --import tsx bench/import-time.ts     (BENCH_REPS=15 by default)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compareRows, median, printRows, type Row, type RowResult } from './compare.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const reps = Number(process.env.BENCH_REPS ?? 15);

/** Wall time of one fresh `node -e <code>` run from the repository root, in ms. */
function nodeRun(code: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['-e', code], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - started;
  if (r.status !== 0) throw new Error(`node -e ${code} failed: ${r.stderr.toString()}`);
  return elapsed;
}

/** One row per package: `import('@tsko/<name>')` in a fresh process against bare `node -e 0`. */
export function importTimeRows(packages: readonly string[] = ['registry', 'core', 'resolve']): Row[] {
  return packages.map((name) => ({
    name: `import @tsko/${name}, fresh process`,
    peer: 'node -e 0',
    runPeer: () => nodeRun('0'),
    runOurs: () => nodeRun(`import('@tsko/${name}')`),
  }));
}

/** Milliseconds over bare node per repetition (each paired with its own peer run): min and median. */
export function importDeltas(results: readonly RowResult[]): { name: string; minMs: number; medianMs: number }[] {
  return results.map((r) => {
    const deltas = r.oursMs.map((ours, i) => ours - r.peerMs[i]!);
    return { name: r.name, minMs: Math.min(...deltas), medianMs: median(deltas) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await compareRows(importTimeRows(), reps);
  printRows(`import time in a fresh process vs bare node, ${reps} interleaved repetitions`, results);
  for (const d of importDeltas(results)) {
    console.log(
      `${d.name.padEnd(34)} over bare node: min ${d.minMs.toFixed(0)} ms, median ${d.medianMs.toFixed(0)} ms`,
    );
  }
}
