import { basename, join } from 'node:path';
import { formatPlatform, guarded, TskoError, type Platform } from '@tsko/registry';
import { makeTempDir, removeTempDir } from '../temp-dirs.js';
import { resolveImportPath, type GoPackage } from './import-path.js';
import { checkBuildSettings, checkGoFlags } from './program-policy.js';
import { readBuildInfo } from './build-info.js';
import { goProgram, runGo } from './run-go.js';

export interface GoBuildRequest {
  /** `ko://…`, `./relative` or a full import path. */
  importPath: string;
  /** Where `go` runs (module root or below). Default: process.cwd(). */
  dir?: string;
  platform: Platform;
  /** Extra environment for `go build` (after the platform's GOOS/GOARCH, so it can override). */
  env?: readonly string[];
  /** Extra `go build` flags (`-tags=x`, …). `-toolexec` and other program-running flags are refused. */
  flags?: readonly string[];
  /** Linker flags, joined into one `-ldflags=` argument. */
  ldflags?: readonly string[];
  /** The Go tool to run (else KO_GO_PATH, else `go`). */
  goBinary?: string;
  /** Base environment (default process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Folder to write the binary into. Default: a new temporary folder, removed if the build
   * fails or is aborted, and otherwise when the process exits (pass `outDir` to keep it).
   */
  outDir?: string;
  signal?: AbortSignal;
  /** Let `env`/`flags`/`ldflags` name programs (`-toolexec`, `CC`, …); see the README's trust model. */
  allowBuildPrograms?: boolean;
  /** A package already resolved by `resolveImportPath` (skips `go list`). */
  resolved?: GoPackage;
  /** Each line `go build` writes to stderr, as it arrives (downloads, warnings, errors). */
  onOutput?: (line: string) => void;
}

export interface GoBinary {
  /** Path of the built executable. */
  path: string;
  /** File name inside the image: the last element of the import path (ko's appFilename). */
  appName: string;
  /** Fully resolved import path. */
  importPath: string;
  /** Folder of the package sources. */
  packageDir: string;
  platform: Platform;
  /** `go version -m` output with the temporary path replaced by the in-image path. */
  buildInfo: string;
}

/** The name ko gives the binary: the import path's last element, or `ko-app`. */
export function appFilename(importPath: string): string {
  const base = basename(importPath);
  return base && base !== '.' && base !== '/' ? base : 'ko-app';
}

/** `GOOS`/`GOARCH`/`GOARM`/`GOAMD64` and `CGO_ENABLED=0` for a platform, before user env. */
export function platformEnv(platform: Platform): string[] {
  const env = ['CGO_ENABLED=0', `GOOS=${platform.os}`, `GOARCH=${platform.architecture}`];
  if (platform.variant && platform.architecture === 'arm') {
    // As ko: v5-v7 give GOARM, v8 and above build for 7 (golang/go#29373), below v5 leave GOARM unset.
    const m = /^v(\d+)$/.exec(platform.variant);
    if (!m)
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `Platform ${formatPlatform(platform)}: the arm variant must be v<number> (v5, v6, v7).`,
      );
    const n = Number(m[1]);
    if (n >= 5) env.push(`GOARM=${Math.min(n, 7)}`);
  } else if (platform.variant && platform.architecture === 'amd64') {
    env.push(`GOAMD64=${platform.variant}`);
  }
  return env;
}

/**
 * Refuses go flags that would run another program (`-toolexec`, `-exec`, `-overlay`, …) in
 * any spelling, and `-o`, which tsko owns. See `program-policy.ts`.
 */
export function checkFlags(flags: readonly string[]): void {
  checkGoFlags(flags, (i) => ({ where: `flags[${i}]`, field: `flags[${i}]` }), false);
}

/**
 * The environment of `go build` for one platform, in ko's order: the platform's defaults
 * (`CGO_ENABLED=0`, GOOS, GOARCH, GOARM/GOAMD64), then the caller's environment, then the
 * build's `KEY=value` entries. So a caller's `CGO_ENABLED=1`, `GOARM` or `GOAMD64` is
 * respected, as ko respects them. GOOS and GOARCH always name the platform being built,
 * whatever the caller's environment holds, so the binary matches the image's platform.
 */
export function goBuildEnv(
  platform: Platform,
  baseEnv: NodeJS.ProcessEnv,
  entries: readonly string[],
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const set = (entry: string) => {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `Environment entry "${entry.slice(0, 100)}" must look like KEY=value.`,
      );
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  };
  const defaults = platformEnv(platform);
  defaults.forEach(set);
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined && k !== 'GOOS' && k !== 'GOARCH') env[k] = v;
  entries.forEach(set);
  return env;
}

/**
 * Builds a Go command for one platform with `go build -trimpath`, `CGO_ENABLED=0` unless the
 * caller's environment or `env` overrides it (see `goBuildEnv`). A compile error is `TSKO_BUILD_FAILED` carrying the compiler output.
 */
export function buildGoBinary(request: GoBuildRequest): Promise<GoBinary> {
  return guarded(`buildGoBinary ${request.importPath}`, () => buildInto(request));
}

async function buildInto(request: GoBuildRequest): Promise<GoBinary> {
  const dir = request.dir ?? process.cwd();
  const baseEnv = request.baseEnv ?? process.env;
  const flags = [...(request.flags ?? [])];
  checkBuildSettings(request);
  const env = goBuildEnv(request.platform, baseEnv, request.env ?? []);
  const pkg =
    request.resolved ??
    (await resolveImportPath(request.importPath, { dir, env, goBinary: request.goBinary, signal: request.signal }));
  if (request.outDir) return runBuild(request, pkg, dir, baseEnv, env, flags, request.outDir);
  const outDir = await makeTempDir('tsko-build-');
  try {
    return await runBuild(request, pkg, dir, baseEnv, env, flags, outDir);
  } catch (err) {
    await removeTempDir(outDir);
    throw err;
  }
}

/** `TSKO_BUILD_FAILED` for one program, carrying Go's output. */
export function buildFailed(importPath: string, platform: Platform, output: string): TskoError {
  return new TskoError(
    'TSKO_BUILD_FAILED',
    `go build ${importPath} for ${formatPlatform(platform)} failed:\n${output.trim().slice(0, 8000)}`,
    { details: { importPath, platform: formatPlatform(platform), output } },
  );
}

/**
 * The `go build` command line of one program (`out` a file) or of several (`out` a folder
 * ending in `/`): one place, so a build alone and a batched build cannot drift apart.
 */
export function goBuildArgs(
  out: string,
  flags: readonly string[],
  ldflags: readonly string[],
  importPaths: readonly string[],
): string[] {
  const args = ['build', '-trimpath', '-o', out, ...flags];
  if (ldflags.length) args.push(`-ldflags=${ldflags.join(' ')}`);
  return [...args, '--', ...importPaths];
}

async function runBuild(
  request: GoBuildRequest,
  pkg: GoPackage,
  dir: string,
  baseEnv: NodeJS.ProcessEnv,
  env: NodeJS.ProcessEnv,
  flags: string[],
  outDir: string,
): Promise<GoBinary> {
  const out = join(outDir, appFilename(pkg.importPath));
  const args = goBuildArgs(out, flags, request.ldflags ?? [], [pkg.importPath]);
  const program = goProgram(request.goBinary, baseEnv);
  const built = await runGo(program, args, { cwd: dir, env, signal: request.signal, onStderrLine: request.onOutput });
  if (built.code !== 0) throw buildFailed(pkg.importPath, request.platform, built.stderr);
  return describeBinary(out, pkg, request.platform, { program, dir, env, signal: request.signal });
}

/**
 * A built executable as a `GoBinary`: its build info (read from the binary itself, one
 * process fewer per build; `go version -m` where the reader does not know the format, such
 * as a Go older than 1.18 behind goBinary), with the output path replaced by the path inside
 * the image (as ko), so the SBOM does not depend on where the binary was written.
 */
export async function describeBinary(
  out: string,
  pkg: GoPackage,
  platform: Platform,
  how: { program: string; dir: string; env: NodeJS.ProcessEnv; signal?: AbortSignal | undefined },
): Promise<GoBinary> {
  const appName = appFilename(pkg.importPath);
  let printed = await readBuildInfo(out);
  if (printed === undefined) {
    const version = await runGo(how.program, ['version', '-m', out], {
      cwd: how.dir,
      env: how.env,
      signal: how.signal,
    });
    if (version.code !== 0) {
      throw new TskoError('TSKO_BUILD_FAILED', `go version -m ${out} failed: ${version.stderr.trim().slice(0, 2000)}`);
    }
    printed = version.stdout;
  }
  const buildInfo = printed.replace(out, `/ko-app/${appName}`);
  return { path: out, appName, importPath: pkg.importPath, packageDir: pkg.dir, platform, buildInfo };
}
