import { TskoError } from '@tsko/registry';
import { moduleFileError } from './module-errors.js';
import { goProgram, runGo } from './run-go.js';

/** What `go list` says about a package. */
export interface GoPackage {
  /** Full import path, e.g. `example.com/app/cmd/api`. */
  importPath: string;
  /** Package name; must be `main` to build an image. */
  name: string;
  /** Folder of the package's sources (its `kodata/` lives beside them). */
  dir: string;
  /** Module path, when in module mode. */
  module?: string;
}

export const KO_PREFIX = 'ko://';

/** Drops the `ko://` prefix (and surrounding space), as `ko resolve` does. */
export function stripKoPrefix(ref: string): string {
  const trimmed = ref.trim();
  return trimmed.startsWith(KO_PREFIX) ? trimmed.slice(KO_PREFIX.length) : trimmed;
}

/**
 * Resolves an import path (`ko://…`, `./relative`, or a full path) with `go list`, from `dir`.
 * It must name exactly one `package main`: otherwise `TSKO_NOT_MAIN` names the path.
 */
export async function resolveImportPath(
  ref: string,
  options: { dir: string; env: NodeJS.ProcessEnv; goBinary?: string | undefined; signal?: AbortSignal | undefined },
): Promise<GoPackage> {
  const path = stripKoPrefix(ref);
  if (!path || path.startsWith('-') || /[\s]/.test(path) || path.includes('...')) {
    throw new TskoError(
      'TSKO_INVALID_IMPORT_PATH',
      `"${ref.slice(0, 200)}" is not a Go import path: expected a single package such as ./cmd/app or example.com/app/cmd/app.`,
      { details: { importPath: ref.slice(0, 200) } },
    );
  }
  const program = goProgram(options.goBinary, options.env);
  const res = await runGo(program, ['list', '-e', '-json=ImportPath,Name,Dir,Module,Error', '--', path], {
    cwd: options.dir,
    env: options.env,
    signal: options.signal,
  });
  if (res.code !== 0 || !res.stdout.trim()) {
    throw (
      moduleFileError(res.stderr, options.dir, path) ??
      new TskoError(
        'TSKO_NOT_MAIN',
        `${path} could not be resolved by "go list" in ${options.dir}: ${firstLines(res.stderr)}`,
        { details: { importPath: path, dir: options.dir, output: res.stderr } },
      )
    );
  }
  let docs: { ImportPath: string; Name?: string; Dir?: string; Module?: { Path?: string }; Error?: { Err?: string } }[];
  try {
    docs = res.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((d) => JSON.parse(d) as (typeof docs)[number]);
  } catch (cause) {
    throw new TskoError(
      'TSKO_NOT_MAIN',
      `"${program} list" printed something that is not JSON for ${path}: ${firstLines(res.stdout, 3)}`,
      { cause, details: { importPath: path } },
    );
  }
  if (docs.length !== 1) {
    throw new TskoError('TSKO_NOT_MAIN', `${path} matches ${docs.length} packages; name exactly one package main.`, {
      details: { importPath: path },
    });
  }
  const pkg = docs[0]!;
  if (pkg.Error?.Err) {
    throw (
      moduleFileError(pkg.Error.Err, options.dir, path) ??
      new TskoError('TSKO_NOT_MAIN', `${path} is not a buildable package: ${pkg.Error.Err.split('\n')[0]}`, {
        details: { importPath: path, dir: options.dir },
      })
    );
  }
  if (pkg.Name !== 'main') {
    throw new TskoError(
      'TSKO_NOT_MAIN',
      `${path} (${pkg.ImportPath}) is package ${pkg.Name ?? '(none)'}, not package main; only commands can become images.`,
      { details: { importPath: pkg.ImportPath } },
    );
  }
  const out: GoPackage = { importPath: pkg.ImportPath, name: pkg.Name, dir: pkg.Dir ?? options.dir };
  if (pkg.Module?.Path) out.module = pkg.Module.Path;
  return out;
}

function firstLines(text: string, n = 8): string {
  return text.trim().split('\n').slice(0, n).join('\n') || '(no output)';
}
