import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { TskoError } from '@tsko/registry';

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
    case 'md5':
      name = `${last}-${createHash('md5').update(importPath).digest('hex')}`;
      break;
    default:
      throw new TskoError('TSKO_INVALID_ARGUMENT', `Unknown naming strategy "${String(strategy).slice(0, 60)}": use md5, preserveImportPaths, baseImportPaths or bare.`, { details: { field: 'naming' } });
  }
  return `${repo.replace(/\/+$/, '')}/${name.toLowerCase()}`;
}
