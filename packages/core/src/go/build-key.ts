import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { formatPlatform, type Platform } from '@tsko/registry';

/**
 * Environment variables that cannot change what `go build` produces: caches, temp folders,
 * where modules are fetched from (a version's content is fixed by go.sum either way).
 * Everything else named GO*, CGO_* or a C toolchain variable is part of the key; keying on
 * one variable too many costs a rebuild, one too few a wrong binary.
 */
const IRRELEVANT = new Set([
  'GOCACHE',
  'GOTMPDIR',
  'GOMAXPROCS',
  'GOPROXY',
  'GONOPROXY',
  'GONOSUMDB',
  'GOPRIVATE',
  'GOSUMDB',
  'GOINSECURE',
  'GOVCS',
  'GOAUTH',
]);
const C_TOOLS = new Set(['CC', 'CXX', 'AR', 'PKG_CONFIG', 'HOME', 'XDG_CONFIG_HOME']);

/** The environment entries that key a build, sorted. */
export function keyedEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v !== undefined && !IRRELEVANT.has(k) && (/^(GO|CGO_)/.test(k) || C_TOOLS.has(k)))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

/**
 * The Go tool as a file: its resolved path (PATH searched as spawn searches it) and stamp. A
 * new Go installed over the old one is a new file, so a new key.
 */
export async function goToolIdentity(program: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const candidates = program.includes('/')
    ? [resolve(program)]
    : (env.PATH ?? '').split(delimiter).map((d) => join(isAbsolute(d) ? d : resolve(d), program));
  for (const c of candidates) {
    try {
      const real = await realpath(c);
      const s = await stat(real, { bigint: true });
      if (s.isFile()) return `${real}:${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch {
      // not in this PATH folder
    }
  }
  return undefined;
}

/**
 * Why a build must not be reused by its inputs, or undefined when it may: cgo reads C
 * headers and a C toolchain we cannot stamp; `-a` asks for a rebuild; `-toolexec`, `-overlay`,
 * `-modfile` and a `-pgo` file bring in files or programs outside the listed packages.
 */
export function unkeyableBuild(env: NodeJS.ProcessEnv, flags: readonly string[]): string | undefined {
  if (env.CGO_ENABLED !== '0') return 'cgo is enabled';
  const all = [...flags, ...(env.GOFLAGS ?? '').split(/\s+/).filter(Boolean)];
  for (const f of all) {
    const name = /^--?([a-z]+)/.exec(f)?.[1];
    if (name === 'a' || name === 'toolexec' || name === 'overlay' || name === 'modfile') return `${f} is set`;
    if (name === 'pgo' && !/^--?pgo=(off|auto)$/.test(f)) return `${f} is set`;
  }
  return undefined;
}

/**
 * Whether `go build` may stamp version control information: unless -buildvcs=false is in
 * effect (the last spelling wins, flags after GOFLAGS), Go looks for a repository above the
 * main module.
 */
export function vcsStampPossible(env: NodeJS.ProcessEnv, flags: readonly string[]): boolean {
  let on = true;
  for (const f of [...(env.GOFLAGS ?? '').split(/\s+/).filter(Boolean), ...flags]) {
    const m = /^--?buildvcs(?:=(.*))?$/.exec(f);
    if (m) on = m[1] !== 'false';
  }
  return on;
}

/** A short hex key over JSON-able parts. */
export function hashKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
}

/** The key of one platform build: everything that selects its output besides file contents. */
export function buildKey(parts: {
  importPath: string;
  platform: Platform;
  dir: string;
  env: NodeJS.ProcessEnv;
  flags: readonly string[];
  ldflags: readonly string[];
  tool: string;
}): string {
  return hashKey([
    'build-v1',
    parts.importPath,
    formatPlatform(parts.platform),
    parts.dir,
    keyedEnv(parts.env),
    parts.flags,
    parts.ldflags,
    parts.tool,
  ]);
}

/** An environment's entries in name order, so that equal environments compare equal as JSON. */
export function sortedEntries(env: NodeJS.ProcessEnv): [string, string | undefined][] {
  return Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1));
}
