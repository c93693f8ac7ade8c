// Benchmark: tsko `publish` against plain `go build` of the same program (the peer), cold
// (empty Go build cache and empty layer cache) and warm (both caches filled; a no-op
// republish). The warm no-op republish is also compared with `ko build` of the same program
// into the same registry (ko as the rig installs it, with a warm KOCACHE and GOCACHE). The
// registry is a real CNCF distribution on 127.0.0.1 started by the test rig.
//
//   node --import tsx bench/publish.ts     (BENCH_REPS=5 warm, BENCH_COLD_REPS=2 cold)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publish } from '@tsko/core';
import { emptyImage, pushImage } from '@tsko/registry';
import { ensureKo, startRegistry } from '@tsko/test-rig';
import { compareRows, printRows, type Row } from './compare.js';

const app = fileURLToPath(new URL('../packages/core/test/fixtures/app', import.meta.url));
export const warmReps = Number(process.env.BENCH_REPS ?? 5);
export const coldReps = Number(process.env.BENCH_COLD_REPS ?? 2);

/** Rows for a cold and a warm (no-op) publish; `registry` is host:port. */
export async function publishRows(scratchRoot: string, registry: string): Promise<{ cold: Row[]; warm: Row[] }> {
  let n = 0;
  const fresh = (what: string) => join(scratchRoot, `${what}-${++n}`);
  const envFor = (gocache: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: join(scratchRoot, 'home'),
    GOCACHE: gocache,
    GOPATH: join(scratchRoot, 'gopath'),
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod -buildvcs=false',
  });
  const goBuild = (gocache: string): number => {
    const t = performance.now();
    const r = spawnSync('go', ['build', '-trimpath', '-o', join(scratchRoot, 'out'), './cmd/server'], {
      cwd: app,
      env: { ...envFor(gocache), CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' },
    });
    if (r.status !== 0) throw new Error(r.stderr.toString());
    return performance.now() - t;
  };
  const tsko = async (gocache: string, cacheDir: string, push = true): Promise<number> => {
    const t = performance.now();
    await publish('./cmd/server', {
      push,
      dir: app,
      repo: `${registry}/bench`,
      baseImage: 'scratch',
      platforms: ['linux/amd64'],
      sbom: 'spdx',
      cacheDir,
      environment: envFor(gocache),
    });
    return performance.now() - t;
  };
  // ko's side: the same program, platform and SBOM kind, named `--bare` under its own repo
  // of the same registry, on an empty base image in that registry (ko has no `scratch`;
  // resolving the base is part of what ko does on every build).
  const ko = await ensureKo();
  const koBase = `${registry}/bench-base/empty:latest`;
  await pushImage(emptyImage({ os: 'linux', architecture: 'amd64' }), koBase);
  const koBuild = (gocache: string, kocache: string): number => {
    const t = performance.now();
    const r = spawnSync(
      ko,
      ['build', '--bare', '--platform=linux/amd64', '--sbom=spdx', `--insecure-registry`, './cmd/server'],
      {
        cwd: app,
        env: {
          ...envFor(gocache),
          KOCACHE: kocache,
          KO_DOCKER_REPO: `${registry}/bench-ko`,
          KO_DEFAULTBASEIMAGE: koBase,
        },
      },
    );
    if (r.status !== 0) throw new Error(`ko build failed: ${r.stderr.toString()}`);
    return performance.now() - t;
  };
  const gocache = fresh('gocache');
  const layers = fresh('layers');
  const kocache = fresh('kocache');
  goBuild(gocache);
  await tsko(gocache, layers);
  koBuild(gocache, kocache);
  return {
    cold: [
      {
        name: 'publish, cold (empty caches)',
        peer: 'go build, cold',
        runPeer: () => goBuild(fresh('gocache')),
        runOurs: () => tsko(fresh('gocache'), fresh('layers')),
      },
    ],
    warm: [
      {
        name: 'publish, warm (no-op republish)',
        peer: 'go build, warm',
        runPeer: () => goBuild(gocache),
        runOurs: () => tsko(gocache, layers),
      },
      {
        name: 'publish, warm no-op, vs ko',
        peer: 'ko build, warm',
        runPeer: () => koBuild(gocache, kocache),
        runOurs: () => tsko(gocache, layers),
      },
      {
        // The build alone (issue 11's target: at most half a warm go build): no push, so the
        // registry round trips do not hide whether go list and go build were skipped.
        name: 'publish, warm no-op, push: false',
        peer: 'go build, warm',
        runPeer: () => goBuild(gocache),
        runOurs: () => tsko(gocache, layers, false),
      },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scratchRoot = mkdtempSync(join(tmpdir(), 'tsko-bench-'));
  const registry = await startRegistry('plain');
  try {
    const { cold, warm } = await publishRows(scratchRoot, registry.host);
    printRows(
      `tsko publish (build + layers + push + SBOM) vs go build, linux/amd64, ${coldReps} cold / ${warmReps} warm interleaved repetitions`,
      [...(await compareRows(cold, coldReps)), ...(await compareRows(warm, warmReps))],
    );
  } finally {
    await registry.stop();
    rmSync(scratchRoot, { recursive: true, force: true });
  }
}
