import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LimitFunction } from 'p-limit';
import { appFilename, buildGoBinary, describeBinary, goBuildArgs, goBuildEnv, type GoBinary } from './build-binary.js';
import type { GoBuildRequest } from './build-binary.js';
import { hashKey, keyedEnv, sortedEntries } from './build-key.js';
import { throwIfAborted } from '@tsko/registry';
import type { GoPackage } from './import-path.js';
import { checkBuildSettings } from './program-policy.js';
import type { Arrival } from './rendezvous.js';
import { goProgram, runGo } from './run-go.js';

/** One program's build for one platform, its package already resolved. */
export type BatchBuildRequest = GoBuildRequest & { resolved: GoPackage };

/**
 * A build as `go build` sees it: the command line and environment, fully worked out, and
 * every arrival asking for it (the same import path asked twice in a round is built once).
 */
interface Planned {
  input: BatchBuildRequest;
  arrivals: Arrival<BatchBuildRequest, GoBinary>[];
  program: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  flags: readonly string[];
  ldflags: readonly string[];
}

/**
 * A stable output folder per (Go tool, folder, environment, flags, ldflags, set of programs)
 * inside the cache: when a binary there is current, `go build` skips its link step (0.4 s →
 * 0.1 s for a small server), which a fresh temporary folder would force every time. Keyed by
 * the set of programs, so a file in it belongs to one import path only, whoever builds.
 */
async function outputDir(cacheRoot: string, first: Planned, importPaths: readonly string[]): Promise<string> {
  const key = hashKey([
    'bin-v2',
    first.program,
    first.dir,
    keyedEnv(first.env),
    first.flags,
    first.ldflags,
    [...importPaths].sort(),
  ]).slice(0, 32);
  const dir = join(cacheRoot, 'bin', key);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Whether `go build -o dir/` names this program's file as ko names it (the import path's last
 * element): not for Windows (`.exe`), nor for a major-version suffix, which Go drops.
 */
function batchable(p: Planned): boolean {
  return p.env.GOOS !== 'windows' && !/^v\d+$/.test(basename(p.input.resolved.importPath));
}

/** Builds of one go command line, split so that no two programs in a batch share a file name. */
function batchesOf(group: readonly Planned[]): Planned[][] {
  const batches: { names: Set<string>; members: Planned[] }[] = [];
  for (const p of group) {
    const name = appFilename(p.input.resolved.importPath).toLowerCase();
    let batch = batches.find((b) => !b.names.has(name));
    if (!batch) {
      batch = { names: new Set(), members: [] };
      batches.push(batch);
    }
    batch.names.add(name);
    batch.members.push(p);
  }
  return batches.map((b) => b.members);
}

/** Answers every arrival of a build, each with its own platform object. */
function answer(p: Planned, binary: GoBinary): void {
  for (const a of p.arrivals) a.resolve({ ...binary, platform: a.input.platform });
}

function fail(p: Planned, err: unknown): void {
  for (const a of p.arrivals) a.reject(err);
}

/** Builds one program with its own `go build`, into its own stable folder. */
async function buildAlone(cacheRoot: string, p: Planned): Promise<void> {
  const request = p.input;
  const outDir = await outputDir(cacheRoot, p, [request.resolved.importPath]);
  await buildGoBinary({ ...request, outDir }).then(
    (b) => answer(p, b),
    (err: unknown) => fail(p, err),
  );
}

/**
 * `go build -o dir/ pkgA pkgB …` for programs whose command line agrees. Go's own output is
 * streamed as it comes for `go:` lines (module downloads), and otherwise kept to the end and
 * told to the program its `# package` header names: on failure each program is built alone
 * (Go's cache keeps what compiled), so a compile error is reported for its own program with
 * its own output, and the others get their binaries.
 */
async function buildTogether(cacheRoot: string, batch: readonly Planned[]): Promise<void> {
  const first = batch[0]!;
  const request = first.input;
  const byPath = new Map(batch.map((p) => [p.input.resolved.importPath, p]));
  const dir = await outputDir(cacheRoot, first, [...byPath.keys()]);
  const args = goBuildArgs(`${dir}/`, first.flags, first.ldflags, [...byPath.keys()]);
  const held: { to: Planned; line: string }[] = [];
  let current = first;
  const built = await runGo(first.program, args, {
    cwd: first.dir,
    env: first.env,
    signal: request.signal,
    onStderrLine: (line) => {
      if (line.startsWith('# ')) current = byPath.get(line.slice(2).trim()) ?? first;
      if (line.startsWith('go: ')) first.input.onOutput?.(line);
      else held.push({ to: current, line });
    },
  });
  if (built.code === 0) {
    for (const { to, line } of held) to.input.onOutput?.(line);
    await Promise.all(
      batch.map(async (p) => {
        const r = p.input;
        const out = join(dir, appFilename(r.resolved.importPath));
        answer(p, await describeBinary(out, r.resolved, r.platform, { ...p, signal: r.signal }));
      }),
    );
    return;
  }
  // Cancelled: not a compile error of any program.
  throwIfAborted(request.signal);
  // Each one alone, one after another: every go build already uses all cores.
  for (const p of batch) await buildAlone(cacheRoot, p);
}

/** The go command line of one request; a refused setting rejects that request alone. */
function plan(arrival: Arrival<BatchBuildRequest, GoBinary>): Planned | undefined {
  const r = arrival.input;
  try {
    checkBuildSettings(r);
    const baseEnv = r.baseEnv ?? process.env;
    return {
      input: r,
      arrivals: [arrival],
      program: goProgram(r.goBinary, baseEnv),
      dir: r.dir ?? process.cwd(),
      env: goBuildEnv(r.platform, baseEnv, r.env ?? []),
      flags: r.flags ?? [],
      ldflags: r.ldflags ?? [],
    };
  } catch (err) {
    arrival.reject(err);
    return undefined;
  }
}

/**
 * Runs one round of builds: one `go build` per group of programs whose Go tool, folder,
 * environment (platform included), flags and ldflags agree, at most `limit` at a time. The
 * same import path asked twice is built once.
 */
export async function buildRound(
  arrivals: readonly Arrival<BatchBuildRequest, GoBinary>[],
  cacheRoot: string,
  limit: LimitFunction,
): Promise<void> {
  const groups = new Map<string, Map<string, Planned>>();
  for (const arrival of arrivals) {
    const p = plan(arrival);
    if (!p) continue;
    const importPath = p.input.resolved.importPath;
    const key = JSON.stringify([
      p.program,
      p.dir,
      sortedEntries(p.env),
      p.flags,
      p.ldflags,
      batchable(p) ? '' : importPath,
    ]);
    const group = groups.get(key) ?? new Map<string, Planned>();
    groups.set(key, group);
    const twin = group.get(importPath);
    if (twin) twin.arrivals.push(arrival);
    else group.set(importPath, p);
  }
  const work = [...groups.values()]
    .flatMap((group) => batchesOf([...group.values()]))
    .map((batch) =>
      limit(async () => {
        try {
          if (batch.length === 1) await buildAlone(cacheRoot, batch[0]!);
          else await buildTogether(cacheRoot, batch);
        } catch (err) {
          // Settling twice is a no-op: only the programs not yet answered see this.
          for (const p of batch) fail(p, err);
        }
      }),
    );
  await Promise.all(work);
}
