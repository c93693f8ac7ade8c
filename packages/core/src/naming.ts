import { createHash } from 'node:crypto';
import { basename } from 'node:path';

export type NamingStrategy = 'md5' | 'preserveImportPaths' | 'baseImportPaths' | 'bare';

/**
 * The repository an import path is published to, as ko names it:
 * - `md5` (default): `<repo>/<last element>-<md5 hex of the import path>`
 * - `preserveImportPaths`: `<repo>/<import path>`
 * - `baseImportPaths`: `<repo>/<last element>`
 * - `bare`: `<repo>`
 * Upper-case letters are lowered, since repositories must be lowercase.
 */
export function imageRepository(repo: string, importPath: string, strategy: NamingStrategy = 'md5'): string {
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
