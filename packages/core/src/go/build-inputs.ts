import { dirname, join, relative, sep } from 'node:path';
import { runGo } from './run-go.js';

/** The fields of `go list -json` that name every file the compiler, assembler or linker reads. */
const FILE_FIELDS = [
  'GoFiles',
  'CgoFiles',
  'CFiles',
  'CXXFiles',
  'MFiles',
  'HFiles',
  'FFiles',
  'SFiles',
  'SwigFiles',
  'SwigCXXFiles',
  'SysoFiles',
  'EmbedFiles',
  // Excluded by build constraints today, but an edit of the constraint line changes the
  // package without touching its folder: they are inputs too.
  'IgnoredGoFiles',
  'IgnoredOtherFiles',
] as const;

/** What Go's VCS stamping looks for in the main package's folder and each folder above it. */
export const VCS_MARKERS = ['.git', '.hg', '.svn', '.bzr', '.fslckout', '_FOSSIL_'];

interface ListedModule {
  Path?: string;
  Version?: string;
  Dir?: string;
  GoMod?: string;
  Replace?: ListedModule;
}

interface ListedPackage {
  Dir?: string;
  ImportPath: string;
  Standard?: boolean;
  Module?: ListedModule;
  Error?: { Err?: string };
  [field: string]: unknown;
}

/** What one build read, as far as it can change: the paths to stamp, or why it cannot be keyed. */
export type BuildInputs = { paths: string[] } | { unkeyable: string };

/**
 * A package in the module cache is immutable for its version, and its version is pinned by
 * the go.mod and go.sum we stamp; so are standard packages by the Go tool's identity. Every
 * other package (main module, workspace modules, local `replace` targets, vendor/) is read
 * from files that can change, so its files are stamped.
 */
function immutable(pkg: ListedPackage): boolean {
  if (pkg.Standard) return true;
  const mod = pkg.Module?.Replace ?? pkg.Module;
  if (!pkg.Dir || !mod?.Version || !mod.Dir) return false;
  // Module cache folders are `<path>@<version>`; a vendored copy or a local folder is not.
  if (!mod.Dir.endsWith(`@${mod.Version}`)) return false;
  return pkg.Dir === mod.Dir || pkg.Dir.startsWith(mod.Dir + sep);
}

/** Folders from `top` down to `dir` (both included), when `dir` lies inside `top`. */
function foldersBetween(top: string, dir: string): string[] {
  const rel = relative(top, dir);
  if (rel.startsWith('..') || rel === dir) return [dir];
  const out = [top];
  let at = top;
  for (const part of rel.split(sep).filter(Boolean)) {
    at = join(at, part);
    out.push(at);
  }
  return out;
}

/**
 * The module and workspace files wherever Go would look for them: the run folder and each
 * folder above it. The main module is found this way even when the built package lives in
 * the module cache (a dependency's command), and a go.work or go.mod appearing is seen.
 */
function moduleFileCandidates(runDir: string): string[] {
  const out: string[] = [];
  for (let d = runDir; ; d = dirname(d)) {
    for (const f of ['go.work', 'go.work.sum', 'go.mod', 'go.sum', join('vendor', 'modules.txt')]) out.push(join(d, f));
    if (dirname(d) === d) return out;
  }
}

/** GOFLAGS written by `go env -w` live in this file, read by every go command. */
function goEnvFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GOENV === 'off') return undefined;
  if (env.GOENV) return env.GOENV;
  const config = env.XDG_CONFIG_HOME ?? (env.HOME ? join(env.HOME, '.config') : undefined);
  return config ? join(config, 'go', 'env') : undefined;
}

/** How one build's inputs are listed: its Go tool, folder, environment and flags. */
export interface ListInputsRequest {
  program: string;
  importPath: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  flags: readonly string[];
  /** Go may stamp VCS facts: a repository appearing above the main module is an input. */
  vcs: boolean;
  signal?: AbortSignal | undefined;
}

/** Only flags that select files matter to a listing; the rest (-ldflags, -trimpath) do not. */
export function listFlags(flags: readonly string[]): string[] {
  return flags.filter((f) => /^--?(tags|mod|modfile|pgo)(=|$)/.test(f));
}

/**
 * Lists what building `importPath` reads (`go list -deps`, with the build's own environment
 * and flags so build tags and platform select the same files) and returns the paths whose
 * stamps key the build (see `inputPaths`).
 */
export async function listBuildInputs(options: ListInputsRequest): Promise<BuildInputs> {
  const listed = await listDeps(options, [options.importPath]);
  if ('unkeyable' in listed) return listed;
  const main = listed.packages[listed.packages.length - 1];
  return main ? inputPaths(listed.packages, main, options) : { unkeyable: 'go list -deps listed no package' };
}

/**
 * Lists several main packages in one `go list -deps` (same folder, environment and flags):
 * each one's inputs, from its own entry and the entries its `Deps` names. A package missing
 * from the listing is answered by a listing of its own.
 */
export async function listManyBuildInputs(requests: readonly ListInputsRequest[]): Promise<BuildInputs[]> {
  const first = requests[0];
  if (!first) return [];
  const listed = await listDeps(first, [...new Set(requests.map((r) => r.importPath))], true);
  // A failed listing names no package in particular: each one is listed alone, for its own reason.
  if ('unkeyable' in listed) return Promise.all(requests.map((r) => listBuildInputs(r)));
  const byPath = new Map(listed.packages.map((p) => [p.ImportPath, p]));
  return Promise.all(
    requests.map((r) => {
      const main = byPath.get(r.importPath);
      const deps = ((main?.Deps as string[] | undefined) ?? []).map((d) => byPath.get(d));
      if (!main || deps.some((d) => d === undefined)) return listBuildInputs(r);
      return inputPaths([...(deps as ListedPackage[]), main], main, r);
    }),
  );
}

async function listDeps(
  options: ListInputsRequest,
  importPaths: readonly string[],
  withDeps = false,
): Promise<{ packages: ListedPackage[] } | { unkeyable: string }> {
  const fields = ['Dir', 'ImportPath', 'Standard', 'Module', 'Error', ...FILE_FIELDS, ...(withDeps ? ['Deps'] : [])];
  const res = await runGo(
    options.program,
    // Several programs: -e, so one broken package makes only the programs that read it
    // unkeyable (inputPaths), instead of failing the listing and listing each one alone.
    [
      'list',
      ...(withDeps ? ['-e'] : []),
      '-deps',
      `-json=${fields.join(',')}`,
      ...listFlags(options.flags),
      '--',
      ...importPaths,
    ],
    { cwd: options.dir, env: options.env, signal: options.signal },
  );
  if (res.code !== 0) return { unkeyable: `go list -deps failed: ${res.stderr.trim().split('\n')[0] ?? ''}` };
  try {
    return {
      packages: res.stdout
        .trim()
        .split(/\n(?=\{)/)
        .map((d) => JSON.parse(d) as ListedPackage),
    };
  } catch {
    return { unkeyable: 'go list -deps printed something that is not JSON' };
  }
}

/**
 * The paths whose stamps key a build of `main`, given every package it reads: every file and
 * folder of every mutable package, the folders between its module root and it, each mutable
 * module's go.mod/go.sum/vendor/modules.txt, any go.work Go could find, the main package's
 * default.pgo and the `go env -w` file. A cgo package makes the build unkeyable: the C
 * compiler and headers lie outside what can be stamped.
 */
function inputPaths(packages: readonly ListedPackage[], main: ListedPackage, options: ListInputsRequest): BuildInputs {
  const paths = new Set<string>(fixedInputPaths({ ...options, mainDir: main.Dir }));
  for (const pkg of packages) {
    if (pkg.Error?.Err) return { unkeyable: `${pkg.ImportPath}: ${pkg.Error.Err.split('\n')[0]}` };
    if ((pkg.CgoFiles as string[] | undefined)?.length && !pkg.Standard) {
      return { unkeyable: `${pkg.ImportPath} uses cgo` };
    }
    if (immutable(pkg) || !pkg.Dir) continue;
    const mod = pkg.Module?.Replace ?? pkg.Module;
    const root = mod?.Dir ?? pkg.Dir;
    for (const folder of foldersBetween(root, pkg.Dir)) paths.add(folder);
    if (mod?.Dir) {
      for (const f of ['go.mod', 'go.sum', join('vendor', 'modules.txt')]) paths.add(join(mod.Dir, f));
    }
    if (mod?.GoMod) paths.add(mod.GoMod);
    for (const field of FILE_FIELDS) {
      for (const name of (pkg[field] as string[] | undefined) ?? []) {
        const file = join(pkg.Dir, name);
        paths.add(file);
        // An embedded folder gains files without its package folder changing.
        if (field === 'EmbedFiles') for (const folder of foldersBetween(pkg.Dir, dirname(file))) paths.add(folder);
      }
    }
  }
  // The main module's go.mod/go.sum pin every module-cache version, even with no local package.
  const mainMod = main.Module;
  if (mainMod?.Dir) for (const f of ['go.mod', 'go.sum']) paths.add(join(mainMod.Dir, f));
  return { paths: [...paths] };
}

/**
 * The paths a build reads whatever packages it imports: module and workspace files wherever
 * Go would look for them, the file GOWORK names, the `go env -w` file, the main package's
 * default.pgo and, when Go may stamp VCS facts, the markers of a repository in the main
 * package's folder or above. A build answered by the shared cache stamps these beside the
 * files its record lists (keyed-build.ts).
 */
export function fixedInputPaths(options: {
  dir: string;
  env: NodeJS.ProcessEnv;
  mainDir: string | undefined;
  vcs: boolean;
}): string[] {
  const paths = moduleFileCandidates(options.dir);
  // GOWORK's value is in the key; the file it names is an input like any go.work.
  const gowork = options.env.GOWORK;
  if (gowork && gowork !== 'off') paths.push(gowork, `${gowork}.sum`);
  const envFile = goEnvFile(options.env);
  if (envFile) paths.push(envFile);
  if (!options.mainDir) return paths;
  paths.push(join(options.mainDir, 'default.pgo'));
  if (options.vcs) {
    for (let d = options.mainDir; ; d = dirname(d)) {
      for (const marker of VCS_MARKERS) paths.push(join(d, marker));
      if (dirname(d) === d) break;
    }
  }
  return paths;
}
