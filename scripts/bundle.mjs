#!/usr/bin/env node
// Part of `pnpm build`, after tsc: each package's main entry (`dist/index.js`, tsc's output)
// bundled into one file, `dist/bundle/index.js`, which the package's "." export loads.
// Node 20's ESM loader costs about a millisecond per module file (resolve, read, compile,
// link), and importing @tsko/core loaded ~110 of them: bundled, the import is ~3 files and
// some 100 ms faster (bench/import-time.ts). Dependencies and the other packages stay
// external (imported by name, deduplicated by the package manager); the declarations stay
// tsc's (`dist/index.d.ts`). Subpath exports (`@tsko/core/pulumi`) are left unbundled: they
// run inside Pulumi, whose own start-up dwarfs this.
import { build } from 'esbuild';

for (const name of ['registry', 'core', 'resolve']) {
  const dist = `packages/${name}/dist`;
  await build({
    entryPoints: [`${dist}/index.js`],
    outfile: `${dist}/bundle/index.js`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Every bare specifier (zod, undici, @tsko/registry, …) stays an import.
    packages: 'external',
    sourcemap: true,
    // Names stay as written: stack traces and error names read as in the sources.
    keepNames: true,
    logLevel: 'warning',
  });
}
