import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** One import found in a source file: who imports what (the specifier as written). */
export interface ImportEdge {
  /** Path of the importing file, relative to the repository root, with `/`. */
  file: string;
  specifier: string;
}

/**
 * The intended direction, as data. Between packages: resolve → core → registry, never back.
 * Inside core, each unit (a folder, or a top-level file) lists the units it may import; a
 * unit may always import its own files. The order read from the code as it is: leaves
 * (`events`, `temp-dirs`, `naming`), then `options`, then the building blocks (`go`,
 * `layers`, `sbom`, `report`), then `image` and `config` on top of those, then `build`, then
 * the publish `targets` (one per kind of place an image goes), then `publish`, and `index`
 * re-exports everything. Image I/O (layout, archive, daemon) is not in core at all: it lives
 * in @tsko/registry beside pull and push.
 */
export const PACKAGE_RULES: Readonly<Record<string, readonly string[]>> = {
  registry: [],
  core: ['registry'],
  resolve: ['core', 'registry'],
};

export const CORE_UNIT_RULES: Readonly<Record<string, readonly string[]>> = {
  events: [],
  'temp-dirs': [],
  naming: [],
  'option-messages': [],
  'base-image-errors': [],
  'image-refs': [],
  // zod and yaml loaded on first use (import time, issue 11).
  'lazy-require': [],
  options: ['events', 'lazy-require', 'naming', 'option-messages'],
  go: ['temp-dirs'],
  layers: ['temp-dirs'],
  sbom: [],
  report: ['events'],
  image: ['layers'],
  config: ['events', 'go', 'layers', 'lazy-require', 'naming', 'options', 'temp-dirs'],
  // Builds shared between machines: keys from `go`'s facts, the binary layer's format; build uses it.
  'build-cache': ['events', 'go', 'layers', 'lazy-require'],
  // Which platforms a build makes, and one platform's image from its binary: build's parts.
  'platform-targets': ['config', 'image'],
  'platform-image': ['build-cache', 'config', 'events', 'go', 'image', 'layers', 'platform-targets'],
  build: [
    'base-image-errors',
    'build-cache',
    'config',
    'events',
    'go',
    'image',
    'layers',
    'options',
    'platform-image',
    'platform-targets',
    'temp-dirs',
  ],
  'push-preflight': ['build'],
  targets: ['build', 'config', 'naming', 'sbom'],
  publish: ['build', 'push-preflight', 'events', 'go', 'image-refs', 'naming', 'options', 'sbom', 'targets'],
  // The Pulumi subpath export sits on top of publish, beside index; nothing imports it.
  pulumi: ['naming', 'options', 'publish'],
  index: ['*'],
};

/**
 * Inside registry: the image model (every top-level file: digests, schemas, `Image`,
 * `ImageIndex`, `LazyIndex`, `imageFromManifest`, plus `layers/`) at the bottom; the
 * distribution client above it; then the sources and sinks side by side (go-containerregistry's
 * `remote`, `layout`, `tarball`, `daemon`), each using the model and none another, except that
 * the daemon loader streams a docker archive. The model never imports an I/O folder.
 */
export const REGISTRY_UNIT_RULES: Readonly<Record<string, readonly string[]>> = {
  model: [],
  layers: ['model'],
  client: ['model'],
  remote: ['client', 'model'],
  layout: ['model'],
  archive: ['model'],
  daemon: ['archive', 'model'],
  index: ['*'],
};

/**
 * Edges against the direction that exist today and are scheduled to go. The guard fails when
 * one of these disappears too, so this list only ever shrinks. (Empty since issue 8 item 1
 * moved the layout reader into @tsko/registry: core's `image` no longer reads through `sinks`.)
 */
export const KNOWN_VIOLATIONS: readonly string[] = [];

const PACKAGE_NAMES: Record<string, string> = {
  '@tsko/registry': 'registry',
  '@tsko/core': 'core',
  '@tsko/resolve': 'resolve',
};

/** Every import, re-export and dynamic `import()` of a TypeScript source, as the compiler reads it. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** Source files of the three packages (`packages/<name>/src/**.ts`), with their imports. */
export function collectEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const pkg of Object.keys(PACKAGE_RULES)) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) {
          const file = relative(root, path).split(sep).join('/');
          for (const specifier of importsOf(readFileSync(path, 'utf8'))) edges.push({ file, specifier });
        }
      }
    };
    walk(join(root, 'packages', pkg, 'src'));
  }
  return edges;
}

/**
 * `packages/core/src/go/run-go.ts` → `{ pkg: 'core', unit: 'go' }`; `…/src/build.ts` → unit
 * `build`. In registry every top-level file but `index` is the unit `model`.
 */
function locate(file: string): { pkg: string; unit: string } | undefined {
  const m = /^packages\/([^/]+)\/src\/(.+)$/.exec(file);
  if (!m) return undefined;
  const parts = m[2]!.split('/');
  if (parts.length > 1) return { pkg: m[1]!, unit: parts[0]! };
  const unit = parts[0]!.replace(/\.(d\.)?[jt]s$/, '');
  return { pkg: m[1]!, unit: m[1] === 'registry' && unit !== 'index' ? 'model' : unit };
}

const UNIT_RULES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  core: CORE_UNIT_RULES,
  registry: REGISTRY_UNIT_RULES,
};

/**
 * The edges that go against the rules, as `pkg:unit -> target` strings (one per distinct
 * edge). A relative import that leaves its package counts as an import of that package.
 */
export function layeringViolations(edges: readonly ImportEdge[]): { edge: string; file: string; specifier: string }[] {
  const found = new Map<string, { edge: string; file: string; specifier: string }>();
  const add = (edge: string, e: ImportEdge) => {
    if (!found.has(edge)) found.set(edge, { edge, file: e.file, specifier: e.specifier });
  };
  for (const e of edges) {
    const from = locate(e.file);
    if (!from) continue;
    let targetPkg: string | undefined;
    let target: { pkg: string; unit: string } | undefined;
    if (e.specifier.startsWith('.')) {
      const resolved = posix.normalize(posix.join(posix.dirname(e.file), e.specifier));
      target = locate(resolved);
      targetPkg = target?.pkg ?? /^packages\/([^/]+)\//.exec(resolved)?.[1] ?? 'outside';
    } else {
      const name = Object.keys(PACKAGE_NAMES).find((n) => e.specifier === n || e.specifier.startsWith(`${n}/`));
      if (name) targetPkg = PACKAGE_NAMES[name];
    }
    if (!targetPkg) continue; // node: builtins and third-party packages
    if (targetPkg !== from.pkg) {
      // A path into another package's files bypasses its exports (and breaks once published).
      if (e.specifier.startsWith('.')) add(`${from.pkg} -> ${targetPkg} (relative path)`, e);
      else if (!(PACKAGE_RULES[from.pkg] ?? []).includes(targetPkg)) add(`${from.pkg} -> ${targetPkg}`, e);
      continue;
    }
    const rules = UNIT_RULES[from.pkg];
    if (!rules || !target || target.unit === from.unit) continue;
    const allowed = rules[from.unit];
    if (!allowed) add(`${from.pkg}:${from.unit} (no rule) -> ${target.unit}`, e);
    else if (!allowed.includes('*') && !allowed.includes(target.unit)) {
      add(`${from.pkg}:${from.unit} -> ${target.unit}`, e);
    }
  }
  return [...found.values()];
}
