import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { TskoError } from '@tsko/registry';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Files and folders to read manifests from. */
export interface FilesInput {
  files: readonly string[];
}

export function isFilesInput(input: unknown): input is FilesInput {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && Array.isArray((input as FilesInput).files);
}

/**
 * Expands files and folders, in the order given: a folder contributes its `.yaml`, `.yml`
 * and `.json` files sorted by name (and its sub-folders' with `recursive`). A named file is
 * read whatever its extension. A path that does not exist is `TSKO_NOT_FOUND` naming it.
 */
export async function readManifestFiles(input: FilesInput, recursive: boolean): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  const seen = new Set<string>();
  const addFile = async (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ path, text: await readFile(path, 'utf8') });
  };
  const addDir = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive) await addDir(path);
      } else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) await addFile(path);
    }
  };
  for (const path of input.files) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new TskoError('TSKO_NOT_FOUND', `Manifest path ${path} does not exist.`, { details: { file: path } });
    if (info.isDirectory()) await addDir(path);
    else await addFile(path);
  }
  return out;
}
