import { createHash } from 'node:crypto';
import { basename } from 'node:path';

export type NamingStrategy = 'md5' | 'preserveImportPaths' | 'baseImportPaths' | 'bare';

/**
 * The repository an import path is published to, as ko names it:
 * - `md5` (default): `<repo>/<last element>-<md5 hex of the import path>`
 * - `preserveImportPaths`: `<repo>/<import path>`
 * - `baseImportPaths`: `<repo>/<last element>`
 * - `bare`: `<repo>`
 * The import path is lowered first, as ko does: repositories must be lower case.
 */
export function imageRepository(repo: string, importPath: string, strategy: NamingStrategy = 'md5'): string {
  // ko lowers the import path before naming, so the md5 is of the lower-cased path too
  // (test/ko-peer: example.com/MixedCase → mixedcase-<md5("example.com/mixedcase")>).
  importPath = importPath.toLowerCase();
  const last = basename(importPath);
  let name: string;
  switch (strategy) {
    case 'bare':
      return repo;
    case 'preserveImportPaths':
      name = importPath;
      break;
    case 'baseImportPaths':
      name = last;
      break;
    default:
      name = `${last}-${createHash('md5').update(importPath).digest('hex')}`;
  }
  return `${repo.replace(/\/+$/, '')}/${name.toLowerCase()}`;
}
