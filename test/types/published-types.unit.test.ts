import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// The published declarations name our own types only: a consumer must not need zod's or
// undici's types (or their version) to compile against tsko, and their changes must not
// change our API. Reads what `pnpm build` wrote, as a consumer's compiler would.
const PACKAGES = fileURLToPath(new URL('../../packages', import.meta.url));
const FOREIGN =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|<reference\s+types\s*=\s*)['"]((?:zod|undici)(?:-types)?)(?:\/[^'"]*)?['"]/g;

/** Each import of zod or undici in a declaration file's text. */
function foreignImports(text: string): string[] {
  return [...text.matchAll(FOREIGN)].map((m) => m[1]!);
}

function declarationFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) declarationFiles(path, out);
    else if (name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

describe('published .d.ts files name no zod or undici type', () => {
  it('finds the imports it looks for, in every form a declaration file can hold them', () => {
    assert.deepEqual(
      foreignImports(
        [
          "import { z } from 'zod';",
          'import type { Dispatcher } from "undici";',
          "export declare const s: import('zod').ZodString;",
          "import { x } from 'zod/v4/core';",
          '/// <reference types="undici-types" />',
          '/** zod inside, our own type outside; undici is not imported here. */',
          "import { y } from './zodiac.js';",
        ].join('\n'),
      ),
      ['zod', 'undici', 'zod', 'zod', 'undici-types'],
    );
  });

  for (const pkg of readdirSync(PACKAGES)) {
    const dist = join(PACKAGES, pkg, 'dist');
    try {
      statSync(dist);
    } catch {
      continue; // not a built package
    }
    it(`@tsko/${pkg}`, () => {
      const files = declarationFiles(dist);
      assert.ok(files.length > 5, `expected the built declarations of ${pkg} (run pnpm build), found ${files.length}`);
      const found = files.flatMap((file) =>
        foreignImports(readFileSync(file, 'utf8')).map((what) => `${file.slice(PACKAGES.length + 1)}: ${what}`),
      );
      assert.deepEqual(found, []);
    });
  }
});
