// Side-by-side timing shared by the benchmarks: each row runs against its peer in the same
// process run, repetitions interleaved (peer, ours, ours, peer, ...) so that load from other
// work on the machine falls on both alike. Prints median times and the ratio ours/peer as
// min and median over the repetitions.

/** One row: our operation and the peer's, each returning its own elapsed milliseconds. */
export interface Row {
  name: string;
  peer: string;
  runPeer: () => Promise<number> | number;
  runOurs: () => Promise<number> | number;
}

export interface RowResult {
  name: string;
  peer: string;
  peerMs: number[];
  oursMs: number[];
  ratios: number[];
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Runs every row `reps` times, interleaved, and returns the timings. */
export async function compareRows(rows: readonly Row[], reps: number): Promise<RowResult[]> {
  const results = rows.map((r) => ({
    name: r.name,
    peer: r.peer,
    peerMs: [] as number[],
    oursMs: [] as number[],
    ratios: [] as number[],
  }));
  for (let i = 0; i < reps; i++) {
    for (const [k, row] of rows.entries()) {
      // Alternate who goes first, so neither always gets the warmer page cache.
      const [a, b] = i % 2 === 0 ? [row.runPeer, row.runOurs] : [row.runOurs, row.runPeer];
      const first = await a();
      const second = await b();
      const [peerMs, oursMs] = i % 2 === 0 ? [first, second] : [second, first];
      results[k]!.peerMs.push(peerMs);
      results[k]!.oursMs.push(oursMs);
      results[k]!.ratios.push(oursMs / peerMs);
    }
  }
  return results;
}

/** Prints results as a table: medians, then the ratio's min and median. */
export function printRows(title: string, results: readonly RowResult[]): void {
  console.log(`\n${title}`);
  console.log(
    `${'row'.padEnd(34)} ${'peer'.padEnd(22)} ${'peer ms'.padStart(8)} ${'tsko ms'.padStart(8)}   ratio min  median`,
  );
  for (const r of results) {
    if (r.ratios.length === 0) continue;
    const line = `${r.name.padEnd(34)} ${r.peer.padEnd(22)} ${median(r.peerMs).toFixed(0).padStart(8)} ${median(r.oursMs).toFixed(0).padStart(8)}   ${Math.min(
      ...r.ratios,
    )
      .toFixed(2)
      .padStart(9)}  ${median(r.ratios).toFixed(2).padStart(6)}`;
    console.log(line);
    // Every repetition, for a ratio that needs explaining (one slow run of either side).
    if (process.env.BENCH_VERBOSE) {
      const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
      console.log(`  peer ms: ${ms(r.peerMs)}\n  tsko ms: ${ms(r.oursMs)}`);
    }
  }
}
