import { resolve } from 'node:path';
import type { GoPackage } from './import-path.js';
import { stripKoPrefix } from './import-path.js';
import { goProgram, runGo } from './run-go.js';

interface ListedMain {
  ImportPath: string;
  Name?: string;
  Dir?: string;
  Module?: { Path?: string };
  Error?: { Err?: string };
}

/** Import path syntax that `resolveImportPath` accepts (the rest it refuses with its own error). */
const plainPath = (path: string) => path && !path.startsWith('-') && !/\s/.test(path) && !path.includes('...');

/**
 * Resolves several import paths from one folder with a single `go list`. Each answer is the
 * package, or undefined where the listing does not say for certain (an error, not a main
 * package, a listing that cannot be matched to the request): the caller then resolves that
 * path alone with `resolveImportPath`, which reports its error exactly as for one program.
 */
export async function resolveManyImportPaths(
  refs: readonly string[],
  options: { dir: string; env: NodeJS.ProcessEnv; goBinary?: string | undefined; signal?: AbortSignal | undefined },
): Promise<(GoPackage | undefined)[]> {
  const paths = refs.map(stripKoPrefix);
  const asked = [...new Set(paths.filter(plainPath))];
  if (asked.length < 2) return refs.map(() => undefined);
  const res = await runGo(
    goProgram(options.goBinary, options.env),
    ['list', '-e', '-json=ImportPath,Name,Dir,Module,Error', '--', ...asked],
    { cwd: options.dir, env: options.env, signal: options.signal },
  );
  if (res.code !== 0) return refs.map(() => undefined);
  let docs: ListedMain[];
  try {
    docs = res.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((d) => JSON.parse(d) as ListedMain);
  } catch {
    return refs.map(() => undefined);
  }
  // go list answers in the order asked, one package per argument; two arguments naming the
  // same package (./cmd/a and its full path) print it once, and then the order cannot be
  // trusted: everything is resolved alone.
  if (docs.length !== asked.length) return refs.map(() => undefined);
  const byPath = new Map<string, GoPackage>();
  asked.forEach((path, i) => {
    const doc = docs[i]!;
    const same = path.startsWith('.') ? doc.Dir === resolve(options.dir, path) : doc.ImportPath === path;
    if (!same || doc.Error?.Err || doc.Name !== 'main' || !doc.Dir) return;
    const pkg: GoPackage = { importPath: doc.ImportPath, name: doc.Name, dir: doc.Dir };
    if (doc.Module?.Path) pkg.module = doc.Module.Path;
    byPath.set(path, pkg);
  });
  return paths.map((p) => byPath.get(p));
}
