// Benchmark: tsko `publish` against plain `go build` of the same program, side by side in one
// run, cold (empty Go build cache and empty layer cache) and warm (both caches filled; a
// no-op republish). Reports medians and the ratio tsko / go build. The registry is a real
// CNCF distribution on 127.0.0.1 started by the test rig.
//
//   pnpm bench            (BENCH_RUNS=5 by default for warm runs, 2 for cold)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publish } from '@tsko/core';
import { startRegistry } from '@tsko/test-rig';

const app = fileURLToPath(new URL('../packages/core/test/fixtures/app', import.meta.url));
const warmRuns = Number(process.env.BENCH_RUNS ?? 5);
const coldRuns = Math.max(1, Math.min(2, warmRuns));
const scratchRoot = mkdtempSync(join(tmpdir(), 'tsko-bench-'));
let n = 0;
const fresh = (what: string) => join(scratchRoot, `${what}-${++n}`);
const envFor = (gocache: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: join(scratchRoot, 'home'), GOCACHE: gocache, GOPATH: join(scratchRoot, 'gopath'), GOPROXY: 'off', GOFLAGS: '-mod=mod -buildvcs=false' });

function goBuild(gocache: string): number {
  const t = performance.now();
  const r = spawnSync('go', ['build', '-trimpath', '-o', join(scratchRoot, 'out'), './cmd/server'], { cwd: app, env: { ...envFor(gocache), CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' } });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return performance.now() - t;
}

async function tsko(registry: string, gocache: string, cacheDir: string): Promise<number> {
  const t = performance.now();
  await publish('./cmd/server', { dir: app, repo: `${registry}/bench`, baseImage: 'scratch', platforms: ['linux/amd64'], sbom: 'spdx', cacheDir, environment: envFor(gocache) });
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const registry = await startRegistry('plain');
try {
  const rows: [string, number, number][] = [];
  const cold = { go: [] as number[], tsko: [] as number[] };
  for (let i = 0; i < coldRuns; i++) {
    cold.go.push(goBuild(fresh('gocache')));
    cold.tsko.push(await tsko(registry.host, fresh('gocache'), fresh('layers')));
  }
  rows.push(['cold (empty caches)', median(cold.go), median(cold.tsko)]);
  const gocache = fresh('gocache');
  const layers = fresh('layers');
  goBuild(gocache);
  await tsko(registry.host, gocache, layers);
  const warm = { go: [] as number[], tsko: [] as number[] };
  for (let i = 0; i < warmRuns; i++) {
    warm.go.push(goBuild(gocache));
    warm.tsko.push(await tsko(registry.host, gocache, layers));
  }
  rows.push(['warm (no-op republish)', median(warm.go), median(warm.tsko)]);
  console.log(`tsko publish (build + layers + push + SBOM) vs go build, linux/amd64, median of ${coldRuns} cold / ${warmRuns} warm runs`);
  console.log('case                      go build ms   tsko ms   ratio tsko/go');
  for (const [name, g, t] of rows) console.log(`${name.padEnd(24)}  ${g.toFixed(0).padStart(11)}  ${t.toFixed(0).padStart(8)}   ${(t / g).toFixed(2).padStart(13)}`);
  console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  await registry.stop();
  rmSync(scratchRoot, { recursive: true, force: true });
}
