import { createHash } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';
import { formatPlatform, TAR_WRITER_VERSION, type Platform } from '@tsko/registry';
import { keyedEnv } from '../go/build-key.js';
import { runGo } from '../go/run-go.js';
import { BINARY_LAYER_FORMAT } from '../layers/binary-layer.js';
import { GZIP_CHUNK_SIZE, GZIP_LEVEL } from '../layers/parallel-gzip.js';

/**
 * Settings Go reads from the environment *or* from the `go env -w` file, asked of `go env`
 * so that the key holds their effective values wherever they come from; GOVERSION is the
 * toolchain Go actually runs (after any GOTOOLCHAIN switch), which stands for the compiler and
 * the standard library on every machine.
 */
const GO_ENV_VARS = [
  'GOVERSION',
  'GOWORK',
  'GOENV',
  'GOFLAGS',
  'GOEXPERIMENT',
  'GOOS',
  'GOARCH',
  'GOAMD64',
  'GOARM',
  'GOARM64',
  'GO386',
  'GOMIPS',
  'GOMIPS64',
  'GOPPC64',
  'GORISCV64',
  'GOWASM',
  'GOFIPS140',
  'GODEBUG',
  'CGO_ENABLED',
  'GO111MODULE',
] as const;

/**
 * Entries of the local key that name this machine, not the build: folders (HOME, caches, the
 * module cache, GOROOT: the toolchain is keyed by GOVERSION), the toolchain selection policy
 * (its outcome is GOVERSION) and the C toolchain (builds keyed by input never use cgo).
 */
const MACHINE_LOCAL = new Set([
  'HOME',
  'XDG_CONFIG_HOME',
  'GOPATH',
  'GOMODCACHE',
  'GOROOT',
  'GOBIN',
  'GOENV',
  'GOWORK',
  'GOTOOLDIR',
  'GOTOOLCHAIN',
  'GOTELEMETRY',
  'GOTELEMETRYDIR',
  'GOCACHEPROG',
  'CC',
  'CXX',
  'AR',
  'PKG_CONFIG',
]);

/** What `go env` says in one folder under one environment. */
export type GoFacts = Record<(typeof GO_ENV_VARS)[number], string>;

/** Asks `go env -json` for the settings above (one short process; it compiles nothing). */
export async function goFacts(
  program: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<GoFacts | undefined> {
  const res = await runGo(program, ['env', '-json', ...GO_ENV_VARS], { cwd: dir, env, signal });
  if (res.code !== 0) return undefined;
  try {
    const parsed = JSON.parse(res.stdout) as Record<string, unknown>;
    const out = {} as GoFacts;
    for (const name of GO_ENV_VARS) out[name] = typeof parsed[name] === 'string' ? parsed[name] : '';
    return out.GOVERSION ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Flags that change how Go works, not what it writes: a CI's `-modcacherw` or `-p=2` keeps the key. */
const NEUTRAL_FLAG = /^--?(modcacherw|v|x|p(=\d+)?)$/;

function outputFlags(goflags: string): string {
  return goflags
    .split(/\s+/)
    .filter((f) => f && !NEUTRAL_FLAG.test(f))
    .join(' ');
}

/** `path` relative to the project folder with `/` separators, or undefined when outside it. */
export function insideProject(projectDir: string, path: string): string | undefined {
  const rel = relative(projectDir, path);
  if (rel === '') return '.';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/**
 * The environment part of a key that holds on any machine: the local key's entries without
 * the machine's own folders, with the effective Go settings from `go env` over them. GOWORK
 * is a path: inside the project it is keyed relative, outside it the build is not shared.
 */
export function portableEnv(env: NodeJS.ProcessEnv, facts: GoFacts, projectDir: string): string[] | string {
  const out = new Map<string, string>();
  for (const entry of keyedEnv(env)) {
    const name = entry.slice(0, entry.indexOf('='));
    if (!MACHINE_LOCAL.has(name)) out.set(name, entry);
  }
  for (const name of GO_ENV_VARS) {
    if (name === 'GOENV' || name === 'GOWORK') continue;
    out.set(name, `${name}=${name === 'GOFLAGS' ? outputFlags(facts.GOFLAGS) : facts[name]}`);
  }
  let work = facts.GOWORK;
  if (work && work !== 'off') {
    const rel = insideProject(projectDir, work);
    if (!rel) return `the workspace file ${work} lies outside the project folder`;
    work = rel;
  }
  out.set('GOWORK', `GOWORK=${work}`);
  return [...out.values()].sort();
}

/** What makes the binary layer besides the binary: the image-side format of the layer. */
const LAYER_FORMAT = [BINARY_LAYER_FORMAT, `tar${TAR_WRITER_VERSION}`, `gzip${GZIP_LEVEL}-${GZIP_CHUNK_SIZE}`];

/**
 * How a binary layer is made from a program besides the program, its name and its OS (those
 * are in every build key): the layer format and `builds[].linux_capabilities`. A layer kept
 * from the shared cache (keyed-build.ts) is taken again only by a build that would make it so.
 */
export function binaryLayerRecipe(capabilities: Uint8Array | undefined): string {
  return digestOf([LAYER_FORMAT, capabilities ? Buffer.from(capabilities).toString('hex') : '']);
}

/** Everything a shared build is keyed by besides file contents (those are in its record). */
export interface PortableBuild {
  importPath: string;
  platform: Platform;
  /** The build folder relative to the project folder. */
  dir: string;
  env: readonly string[];
  goVersion: string;
  flags: readonly string[];
  ldflags: readonly string[];
  appName: string;
  /** `builds[].linux_capabilities` as the xattr bytes, hex. */
  capabilities: string;
}

/** The registry tag of a build: `build-` and 64 hex digits (tags allow 128 characters). */
export function buildTag(b: PortableBuild): string {
  return `build-${digestOf([
    'tsko-build-v1',
    b.importPath,
    formatPlatform(b.platform),
    b.dir,
    b.env,
    b.goVersion,
    b.flags,
    b.ldflags,
    b.appName,
    b.capabilities,
    LAYER_FORMAT,
  ])}`;
}

/** The registry tag of an import path's resolution: what `go list` needs to name the package. */
export function resolutionTag(r: { ref: string; dir: string; env: readonly string[]; goVersion: string }): string {
  return `resolve-${digestOf(['tsko-resolve-v1', r.ref, r.dir, r.env, r.goVersion])}`;
}

/**
 * A second tag for a build: its key and what its inputs held. The build tag names the latest
 * record (last writer wins); when two branches alternate on CI, each one's record is still
 * found here, by hashing the paths the latest record lists.
 */
export function contentTag(buildTag: string, inputs: Readonly<Record<string, string>>): string {
  return `content-${digestOf(['tsko-content-v1', buildTag, Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1))])}`;
}

function digestOf(parts: unknown): string {
  // A full sha256 here: a tag is shared by every machine that writes to the cache.
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
