// Benchmark: one tsko `publish` of 20 programs against one plain `go build -o dir/ ./cmd/...`
// of the same 20 (the peer), on a generated module whose programs share internal packages
// and net/http. Rows: a warm no-op (without and with the push to a local registry), and a
// changed shared package (every program rebuilds; the same edit before each side's run).
// Run alone, the changed row is also compared with `ko build --push=false` of the same 20
// (ko from the rig, on a small static base in the local registry, since ko has no scratch);
// `pnpm bench` leaves that row out, as it costs ~25 s a repetition.
//
//   node --import tsx bench/many-programs.ts      (BENCH_REPS=5; BENCH_PROFILE=1 adds a profile)
//
// The profile counts go processes (through a goBinary wrapper that logs and execs the real
// go), the CPU time of the child processes (go and its compilers, from /proc/self/stat) and
// tsko's own CPU time (process.cpuUsage: JS, plus zlib's thread pool).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish, type PublishOptions } from '@tsko/core';
import {
  ensureKo,
  goTestEnvironment,
  pushStaticBase,
  SHARED_VALUE_FILE,
  sharedValueSource,
  startRegistry,
  writeManyPrograms,
} from '@tsko/test-rig';
import { compareRows, median, printRows, type Row } from './compare.js';

export const manyReps = Number(process.env.BENCH_REPS ?? 5);
const COUNT = 20;

/** The module, its import paths and the two sides of each row. */
async function setUp(scratchRoot: string, registry: string) {
  const dir = join(scratchRoot, 'many');
  const paths = await writeManyPrograms(dir, COUNT);
  // The rig's warm build cache: the standard library is compiled once per machine, not per run.
  const env = goTestEnvironment({ GOPROXY: 'off' });
  const out = join(scratchRoot, 'out');
  const goBuild = (): number => {
    const t = performance.now();
    const r = spawnSync('go', ['build', '-trimpath', '-o', `${out}/`, './cmd/...'], {
      cwd: dir,
      env: { ...env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' },
    });
    if (r.status !== 0) throw new Error(r.stderr.toString());
    return performance.now() - t;
  };
  const options = (extra: PublishOptions = {}): PublishOptions => ({
    dir,
    repo: `${registry}/many`,
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    cacheDir: join(scratchRoot, 'layers'),
    environment: env,
    ...extra,
  });
  const tsko = async (extra: PublishOptions = {}): Promise<number> => {
    const t = performance.now();
    const results = await publish(paths, options(extra));
    if (results.length !== COUNT) throw new Error(`published ${results.length} of ${COUNT}`);
    return performance.now() - t;
  };
  let n = 0;
  const change = () => writeFileSync(join(dir, SHARED_VALUE_FILE), sharedValueSource(`value-${++n}`));
  return { dir, paths, env, goBuild, tsko, change, options };
}

/** The changed row against ko: `ko build --push=false` of the same 20 programs after the same edit. */
export async function manyProgramsKoRow(scratchRoot: string, registry: string): Promise<Row> {
  const { dir, paths, env, tsko, change } = await setUp(scratchRoot, registry);
  const ko = await ensureKo();
  const base = await pushStaticBase(registry);
  const koBuild = (): number => {
    const t = performance.now();
    const r = spawnSync(ko, ['build', '--push=false', '--platform=linux/amd64', ...paths], {
      cwd: dir,
      env: { ...env, KO_DOCKER_REPO: `${registry}/ko-many`, KO_DEFAULTBASEIMAGE: base },
    });
    if (r.status !== 0) throw new Error(r.stderr.toString());
    return performance.now() - t;
  };
  koBuild();
  await tsko({ push: false });
  return {
    name: '20 programs, shared package changed, push: false',
    peer: 'ko build --push=false (changed)',
    runPeer: () => {
      change();
      return koBuild();
    },
    runOurs: () => {
      change();
      return tsko({ push: false });
    },
  };
}

/**
 * Rows for 20 programs in one publish; `registry` is host:port. Run `warm` before `changed`
 * (two compareRows calls): a changed row leaves the two sides built from different values.
 */
export async function manyProgramsRows(
  scratchRoot: string,
  registry: string,
): Promise<{ warm: Row[]; changed: Row[] }> {
  const { goBuild, tsko, change } = await setUp(scratchRoot, registry);
  goBuild();
  await tsko();
  await tsko({ push: false });
  return {
    warm: [
      {
        name: '20 programs, warm no-op, push: false',
        peer: 'go build -o dir/ ./cmd/...',
        runPeer: () => goBuild(),
        runOurs: () => tsko({ push: false }),
      },
      {
        name: '20 programs, warm no-op republish',
        peer: 'go build -o dir/ ./cmd/...',
        runPeer: () => goBuild(),
        runOurs: () => tsko(),
      },
    ],
    changed: [
      {
        name: '20 programs, shared package changed, push: false',
        peer: 'go build -o dir/ ./cmd/... (changed)',
        runPeer: () => {
          change();
          return goBuild();
        },
        runOurs: () => {
          change();
          return tsko({ push: false });
        },
      },
    ],
  };
}

/** Children's and own CPU in ms (the children's counts once each has been waited for). */
function cpuNow(): { children: number; own: number } {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After the command name: cutime and cstime are fields 16 and 17 (1-based), in clock ticks.
  const ticks = Number(fields[13]) + Number(fields[14]);
  const own = process.cpuUsage();
  return { children: ticks * 10, own: (own.user + own.system) / 1000 };
}

/** Where the time of a 20-program publish goes: go processes, Go CPU, tsko's own CPU. */
export async function profileMany(scratchRoot: string, registry: string, reps = 3): Promise<void> {
  const { goBuild, tsko, change } = await setUp(scratchRoot, registry);
  const log = join(scratchRoot, 'go.log');
  const wrapper = join(scratchRoot, 'go-logged');
  const realGo = execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim();
  writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> '${log}'\nexec '${realGo}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const runs = () => {
    const text = (() => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    })();
    writeFileSync(log, '');
    const counts: Record<string, number> = {};
    for (const l of text.split('\n').filter(Boolean)) counts[l] = (counts[l] ?? 0) + 1;
    return counts;
  };
  const measure = async (label: string, fn: () => Promise<number> | number, before?: () => void) => {
    const walls: number[] = [];
    const children: number[] = [];
    const own: number[] = [];
    let goRuns: Record<string, number> = {};
    for (let i = 0; i < reps; i++) {
      before?.();
      runs();
      const a = cpuNow();
      walls.push(await fn());
      const b = cpuNow();
      children.push(b.children - a.children);
      own.push(b.own - a.own);
      goRuns = runs();
    }
    console.log(
      `${label.padEnd(44)} wall ${median(walls).toFixed(0).padStart(6)} ms   child CPU ${median(children).toFixed(0).padStart(6)} ms   own CPU ${median(own).toFixed(0).padStart(5)} ms   go runs ${JSON.stringify(goRuns)}`,
    );
  };
  goBuild();
  await tsko({ goBinary: wrapper });
  console.log(`\nProfile, ${reps} repetitions each (medians)`);
  await measure('go build -o dir/ ./cmd/..., warm', goBuild);
  await measure('publish 20, warm no-op, push: false', () => tsko({ push: false, goBinary: wrapper }));
  await measure('publish 20, warm no-op, push', () => tsko({ goBinary: wrapper }));
  await measure('go build -o dir/ ./cmd/..., changed', goBuild, change);
  await measure('publish 20, changed, push: false', () => tsko({ push: false, goBinary: wrapper }), change);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scratchRoot = mkdtempSync(join(tmpdir(), 'tsko-bench-many-'));
  const registry = await startRegistry('plain');
  try {
    if (process.env.BENCH_PROFILE) await profileMany(join(scratchRoot, 'profile'), registry.host);
    const { warm, changed } = await manyProgramsRows(join(scratchRoot, 'go'), registry.host);
    const ko = await manyProgramsKoRow(join(scratchRoot, 'ko'), registry.host);
    printRows(
      `tsko publish of ${COUNT} programs vs one go build of all ${COUNT} (and ko build of them), linux/amd64, ${manyReps} interleaved repetitions`,
      [
        ...(await compareRows(warm, manyReps)),
        ...(await compareRows(changed, manyReps)),
        ...(await compareRows([ko], manyReps)),
      ],
    );
  } finally {
    await registry.stop();
    rmSync(scratchRoot, { recursive: true, force: true });
  }
}
