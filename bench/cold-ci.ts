// Benchmark: an unchanged program published on a fresh CI machine whose image was already
// pushed elsewhere (issue 11's "cold CI machine" row). Every repetition is a new machine: the
// project copied to a new folder, empty GOCACHE, GOMODCACHE, HOME and tsko cacheDir. tsko
// publishes with the shared build cache (`buildCache`, filled once by "machine A" before the
// repetitions) as a new Node process, so Node's start and module loading count too. The peers:
// a cold `go build` (empty GOCACHE) and a cold `ko build` (ko from the rig, KO_DOCKER_REPO on
// the same registry, empty GOCACHE, KOCACHE unset: it does not help in CI, ko#1497). Base
// image, platform and SBOM are the same for tsko and ko.
//
//   pnpm build && node --import tsx bench/cold-ci.ts     (BENCH_COLD_CI_REPS=3)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKo, pushStaticBase, startRegistry } from '@tsko/test-rig';
import { compareRows, printRows, type Row } from './compare.js';

const app = fileURLToPath(new URL('../packages/core/test/fixtures/app', import.meta.url));
const core = fileURLToPath(new URL('../packages/core/dist/bundle/index.js', import.meta.url));
export const coldCiReps = Number(process.env.BENCH_COLD_CI_REPS ?? 3);

/** The publish a CI job would run, as its own process: options as JSON in argv[2]. */
const CHILD = `import { publish } from ${JSON.stringify(core)};
const o = JSON.parse(process.argv[2]);
const r = await publish('./cmd/server', o);
process.stdout.write(r.digest);
`;

function elapsed(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - t) : reject(new Error(`${program} failed:\n${stderr}`)),
    );
  });
}

/**
 * Rows for "unchanged program, fresh CI machine, image already pushed": tsko with the shared
 * cache against a cold go build and a cold ko build. `registry` is host:port.
 */
export async function coldCiRows(scratchRoot: string, registry: string): Promise<Row[]> {
  let n = 0;
  /** A new machine: its own copy of the project and empty caches. */
  const machine = () => {
    const root = join(scratchRoot, `machine-${++n}`);
    for (const d of ['gocache', 'gomod', 'home', 'path']) mkdirSync(join(root, d), { recursive: true });
    cpSync(app, join(root, 'app'), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: join(root, 'home'),
      GOCACHE: join(root, 'gocache'),
      GOMODCACHE: join(root, 'gomod'),
      GOPATH: join(root, 'path'),
      GOPROXY: 'off',
      GOFLAGS: '-buildvcs=false',
      GOTOOLCHAIN: 'local',
    };
    return { root, dir: join(root, 'app'), env };
  };
  const base = await pushStaticBase(registry);
  const child = join(scratchRoot, 'publish.mjs');
  writeFileSync(child, CHILD);
  const tsko = (m: ReturnType<typeof machine>) =>
    JSON.stringify({
      dir: m.dir,
      repo: `${registry}/ci`,
      baseImage: base,
      platforms: ['linux/amd64'],
      sbom: 'spdx',
      cacheDir: join(m.root, 'tsko-cache'),
      environment: m.env,
      buildCache: { repo: `${registry}/team/tsko-build-cache` },
    });
  // Machine A: builds, pushes the image and stores the build in the cache. Its Go cache is
  // this machine's own (warm): only what the cache holds matters to the machines after it.
  const a = machine();
  const warmCache = spawnSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).stdout.trim();
  if (warmCache) a.env.GOCACHE = warmCache;
  await elapsed(process.execPath, [child, tsko(a)], a.dir, a.env);
  const ko = await ensureKo();

  const ours = async () => {
    const m = machine();
    const ms = await elapsed(process.execPath, [child, tsko(m)], m.dir, m.env);
    const compiled = spawnSync('find', [m.env.GOCACHE!, '-type', 'f'], { encoding: 'utf8' }).stdout.trim();
    if (compiled) throw new Error('tsko compiled on a fresh machine: the shared cache missed');
    return ms;
  };
  const goBuild = () => {
    const m = machine();
    const out = join(m.root, 'server');
    const env = { ...m.env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' };
    return elapsed('go', ['build', '-trimpath', '-o', out, './cmd/server'], m.dir, env);
  };
  const koBuild = () => {
    const m = machine();
    const env = { ...m.env, KO_DOCKER_REPO: `${registry}/ko`, KO_DEFAULTBASEIMAGE: base };
    return elapsed(ko, ['build', '--platform=linux/amd64', '--sbom=spdx', './cmd/server'], m.dir, env);
  };
  return [
    {
      name: 'fresh CI machine, unchanged',
      peer: 'go build, cold',
      runPeer: goBuild,
      runOurs: ours,
    },
    {
      name: 'fresh CI machine, unchanged',
      peer: 'ko build, cold',
      runPeer: koBuild,
      runOurs: ours,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scratchRoot = mkdtempSync(join(tmpdir(), 'tsko-bench-cold-ci-'));
  const registry = await startRegistry('plain');
  try {
    const rows = await coldCiRows(scratchRoot, registry.host);
    printRows(
      `unchanged program on a fresh CI machine (empty Go and tsko caches), image already pushed; tsko with buildCache, as a new process; ${coldCiReps} interleaved repetitions`,
      await compareRows(rows, coldCiReps),
    );
  } finally {
    await registry.stop();
    rmSync(scratchRoot, { recursive: true, force: true });
  }
}
