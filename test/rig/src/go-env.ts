import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one folder the rig owns: `<repo>/.tmp/rig` (ignored by git), or `TSKO_RIG_DIR`.
 *
 * Repo-local on purpose: a clean clone starts cold and fetches every module and tool from
 * the module proxy at the pinned versions (nothing leaks in from an earlier checkout or
 * another worktree pinned differently), and a second run in the same clone is warm. CI runs
 * in a fresh clone and pays the cold cost once per run (see the README); a CI that wants to
 * keep it warm can point TSKO_RIG_DIR at a cached folder.
 */
export function rigDir(): string {
  const dir = process.env.TSKO_RIG_DIR ?? fileURLToPath(new URL('../../../.tmp/rig', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Module cache, build cache, GOPATH and built tools, all under `<rig>/go`. */
export function rigGoDir(): string {
  const dir = join(rigDir(), 'go');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Variables of the caller's environment that steer how Go fetches modules; passed through as Go honours them. */
const MODULE_FETCH_VARS = ['GOPROXY', 'GOPRIVATE', 'GONOPROXY', 'GONOSUMDB', 'GOSUMDB', 'GOINSECURE', 'GOVCS'] as const;

/**
 * Environment for Go builds in tests: the rig's module and build caches (a cold stdlib build
 * costs ~10 s per architecture; a module download once per clone), the module proxy the
 * caller's environment names (else Go's default), and a HOME without docker credentials so
 * the machine's own config never leaks into a test.
 *
 * GOFLAGS is fixed rather than inherited: `-buildvcs=false` because fixtures live inside
 * this repository's git tree and their binaries must not change with every commit, and
 * `-modcacherw` so the folder can be deleted. GOTOOLCHAIN=local keeps Go from downloading
 * another toolchain for a go.mod that asks for one.
 */
export function goTestEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const root = rigGoDir();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(root, 'home'),
    GOCACHE: join(root, 'cache'),
    GOMODCACHE: join(root, 'mod'),
    GOPATH: join(root, 'path'),
    GOFLAGS: '-modcacherw -buildvcs=false',
    GOTOOLCHAIN: 'local',
  };
  for (const name of MODULE_FETCH_VARS) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}
