import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { collectEdges, importsOf, KNOWN_VIOLATIONS, layeringViolations, type ImportEdge } from './import-rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('imports follow the house direction (resolve → core → registry; core folders in order)', () => {
  it('no source file imports against the intended direction, apart from the listed known edges', () => {
    const edges = collectEdges(ROOT);
    assert.ok(edges.length > 150, `expected the imports of every source file, found ${edges.length}`);
    const found = layeringViolations(edges);
    const unexpected = found.filter((v) => !KNOWN_VIOLATIONS.includes(v.edge));
    assert.deepEqual(
      unexpected.map((v) => `${v.edge}  (${v.file} imports '${v.specifier}')`),
      [],
    );
    // A known edge that is gone must leave the list, so the list only shrinks.
    const gone = KNOWN_VIOLATIONS.filter((k) => !found.some((v) => v.edge === k));
    assert.deepEqual(gone, [], 'these known violations no longer exist: remove them from KNOWN_VIOLATIONS');
  });

  it('reads imports as the compiler does: static, type-only, re-exports and dynamic import()', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "export { c } from '@tsko/core';",
      "export * from './d.js';",
      "const e = await import('@tsko/resolve');",
      "// import { f } from './commented-out.js';",
      'const s = "import { g } from \'./in-a-string.js\'";',
    ].join('\n');
    assert.deepEqual(importsOf(text), ['./a.js', '../b/b.js', '@tsko/core', './d.js', '@tsko/resolve']);
  });

  const edge = (file: string, specifier: string): ImportEdge => ({ file, specifier });
  const edgesOf = (...edges: ImportEdge[]) => layeringViolations(edges).map((v) => v.edge);

  it('fails on an import up the package stack', () => {
    assert.deepEqual(edgesOf(edge('packages/registry/src/remote/push.ts', '@tsko/core')), ['registry -> core']);
    assert.deepEqual(edgesOf(edge('packages/registry/src/client/x.ts', '@tsko/resolve/dist/index.js')), [
      'registry -> resolve',
    ]);
    assert.deepEqual(edgesOf(edge('packages/core/src/build.ts', '@tsko/resolve')), ['core -> resolve']);
    assert.deepEqual(edgesOf(edge('packages/core/src/go/run-go.ts', '../../../resolve/src/resolve.js')), [
      'core -> resolve (relative path)',
    ]);
  });

  it('fails on a relative path into another package, even in the allowed direction', () => {
    assert.deepEqual(edgesOf(edge('packages/core/src/build.ts', '../../registry/src/image.js')), [
      'core -> registry (relative path)',
    ]);
  });

  it("fails on an import back up core's folders, and on a core folder without a rule", () => {
    assert.deepEqual(edgesOf(edge('packages/core/src/go/run-go.ts', '../publish.js')), ['core:go -> publish']);
    assert.deepEqual(edgesOf(edge('packages/core/src/layers/blob-store.ts', '../config/settings.js')), [
      'core:layers -> config',
    ]);
    assert.deepEqual(edgesOf(edge('packages/core/src/newfolder/x.ts', '../events.js')), [
      'core:newfolder (no rule) -> events',
    ]);
  });

  it("fails on registry's image model importing a source or sink, and on one I/O folder importing another", () => {
    assert.deepEqual(edgesOf(edge('packages/registry/src/image.ts', './layout/read-layout.js')), [
      'registry:model -> layout',
    ]);
    assert.deepEqual(edgesOf(edge('packages/registry/src/lazy-index.ts', './remote/pull.js')), [
      'registry:model -> remote',
    ]);
    assert.deepEqual(edgesOf(edge('packages/registry/src/layout/read-layout.ts', '../remote/pull.js')), [
      'registry:layout -> remote',
    ]);
    assert.deepEqual(edgesOf(edge('packages/registry/src/archive/docker-archive.ts', '../daemon/load-daemon.js')), [
      'registry:archive -> daemon',
    ]);
    assert.deepEqual(edgesOf(edge('packages/registry/src/tarball/x.ts', '../image.js')), [
      'registry:tarball (no rule) -> model',
    ]);
  });

  it('core has no sinks folder any more: image I/O is imported from @tsko/registry', () => {
    assert.deepEqual(edgesOf(edge('packages/core/src/image/base-image.ts', '../sinks/oci-layout.js')), [
      'core:image -> sinks',
    ]);
  });

  it('accepts the allowed directions', () => {
    assert.deepEqual(
      edgesOf(
        edge('packages/resolve/src/resolve.ts', '@tsko/core'),
        edge('packages/resolve/src/resolve.ts', '@tsko/registry'),
        edge('packages/core/src/publish.ts', './build.js'),
        edge('packages/core/src/go/build-binary.ts', './run-go.js'),
        edge('packages/core/src/config/settings.ts', '../layers/blob-store.js'),
        edge('packages/core/src/index.ts', './publish.js'),
        edge('packages/registry/src/remote/push.ts', 'undici'),
        edge('packages/registry/src/remote/push.ts', 'node:fs'),
        edge('packages/registry/src/remote/pull.ts', '../client/session.js'),
        edge('packages/registry/src/remote/pull.ts', '../lazy-index.js'),
        edge('packages/registry/src/layout/read-layout.ts', '../image-from-manifest.js'),
        edge('packages/registry/src/daemon/load-daemon.ts', '../archive/docker-archive.js'),
        edge('packages/registry/src/image.ts', './schemas.js'),
        edge('packages/registry/src/index.ts', './layout/read-layout.js'),
      ),
      [],
    );
  });
});
