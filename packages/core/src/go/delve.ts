import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPlatform, TskoError, type Platform } from '@tsko/registry';
import { makeTempDir, removeTempDir } from '../temp-dirs.js';
import { goProgram, runGo } from './run-go.js';

/**
 * The Delve release a `debug` image carries. ko clones Delve's default branch from GitHub;
 * we build a fixed release from the Go module proxy instead, checked against go.sum like any
 * module, so a debug image is reproducible and needs no git access.
 */
export const DELVE_VERSION = 'v1.27.2';
const DELVE_MODULE = 'github.com/go-delve/delve';

/** The platforms ko debugs (Delve's own list is wider, ko supports these two). */
export function debugSupported(platform: Platform): boolean {
  return platform.os === 'linux' && (platform.architecture === 'amd64' || platform.architecture === 'arm64');
}

export interface DelveBuild {
  platform: Platform;
  /** The cache folder; the built `dlv` is kept under it per version and platform. */
  cacheRoot: string;
  version?: string;
  goBinary?: string | undefined;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
  onOutput?: (line: string) => void;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * The path of a `dlv` built for `platform` (`-trimpath -ldflags=-s -w`, CGO off, as ko builds
 * it), built once per version and platform into the cache and reused afterwards.
 */
export function delveBinary(request: DelveBuild): Promise<string> {
  const version = request.version ?? DELVE_VERSION;
  const { os, architecture } = request.platform;
  const dir = join(request.cacheRoot, 'delve', `${version}-${os}-${architecture}`);
  let p = inFlight.get(dir);
  if (!p) {
    p = buildOnce(request, version, dir).finally(() => inFlight.delete(dir));
    inFlight.set(dir, p);
  }
  return p;
}

async function buildOnce(request: DelveBuild, version: string, dir: string): Promise<string> {
  const out = join(dir, 'dlv');
  // Built before (rename below makes a dlv here whole): reuse it.
  if (
    await access(out).then(
      () => true,
      () => false,
    )
  )
    return out;
  const work = await makeTempDir('tsko-delve-');
  try {
    const program = goProgram(request.goBinary, request.env);
    // A module of its own, outside the user's module and go.work, so their replace
    // directives, vendoring and GOFLAGS=-mod=vendor cannot change which Delve is built.
    const keep = (request.env.GOFLAGS ?? '').split(/\s+/).filter((f) => f === '-modcacherw');
    const env: NodeJS.ProcessEnv = {
      ...request.env,
      GOWORK: 'off',
      GOFLAGS: ['-mod=mod', ...keep].join(' '),
      CGO_ENABLED: '0',
      GOOS: request.platform.os,
      GOARCH: request.platform.architecture,
    };
    await writeFile(join(work, 'go.mod'), 'module tsko.invalid/delve\n\ngo 1.22\n');
    const where = `Delve ${version} for ${formatPlatform(request.platform)}`;
    const run = async (args: string[]) => {
      const res = await runGo(program, args, {
        cwd: work,
        env,
        signal: request.signal,
        onStderrLine: request.onOutput,
      });
      if (res.code !== 0) {
        throw new TskoError(
          'TSKO_BUILD_FAILED',
          `Building ${where} (debug: true) failed at \`go ${args[0]}\`:\n${res.stderr.trim().slice(0, 4000)}`,
          { details: { importPath: `${DELVE_MODULE}/cmd/dlv`, platform: formatPlatform(request.platform) } },
        );
      }
    };
    await run(['get', `${DELVE_MODULE}@${version}`]);
    // Built beside its final name, then renamed (atomic on one filesystem): a concurrent
    // process sees no dlv or a whole one.
    await mkdir(dir, { recursive: true });
    const built = join(dir, `dlv.${process.pid}.${Date.now()}.tmp`);
    await run(['build', '-trimpath', '-ldflags=-s -w', '-o', built, `${DELVE_MODULE}/cmd/dlv`]);
    await rename(built, out);
    return out;
  } finally {
    await removeTempDir(work);
  }
}
