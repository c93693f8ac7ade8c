import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { abortError, fileSystemError, throwIfAborted, TskoError } from '@tsko/registry';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Files and folders to read manifests from. */
export interface FilesInput {
  files: readonly string[];
}

export function isFilesInput(input: unknown): input is FilesInput {
  return (
    typeof input === 'object' && input !== null && !Array.isArray(input) && Array.isArray((input as FilesInput).files)
  );
}

/**
 * Expands files and folders, in the order given: a folder contributes its `.yaml`, `.yml`
 * and `.json` files sorted by name (and its sub-folders' with `recursive`). A named file is
 * read whatever its extension. A path that does not exist is `TSKO_NOT_FOUND` naming it.
 */
export async function readManifestFiles(
  input: FilesInput,
  recursive: boolean,
  signal?: AbortSignal,
): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  const seen = new Set<string>();
  const addFile = async (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    try {
      out.push({ path, text: await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) }) });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw fileSystemError(err, 'Manifest file', path);
    }
  };
  const addDir = async (dir: string) => {
    let entries: Dirent[];
    try {
      entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    } catch (err) {
      throw fileSystemError(err, 'Manifest folder', dir);
    }
    for (const entry of entries) {
      throwIfAborted(signal);
      const path = join(dir, entry.name);
      // Symbolic links are followed to what they point at; only folders and regular files
      // count. A FIFO or device named *.yaml would block a read forever, so it is skipped.
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
      if (!info) continue;
      if (info.isDirectory()) {
        if (recursive) await addDir(path);
      } else if (info.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) await addFile(path);
    }
  };
  if (!Array.isArray(input.files))
    throw new TskoError('TSKO_INVALID_ARGUMENT', 'files must be an array of paths.', { details: { field: 'files' } });
  for (const [i, path] of input.files.entries()) {
    throwIfAborted(signal);
    if (typeof path !== 'string' || path === '') {
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `files[${i}] must be a path (a non-empty string); got ${typeof path}.`,
        { details: { field: `files[${i}]` } },
      );
    }
    const info = await stat(path).catch(() => undefined);
    if (!info)
      throw new TskoError('TSKO_NOT_FOUND', `Manifest path ${path} does not exist.`, { details: { file: path } });
    if (info.isDirectory()) await addDir(path);
    else if (info.isFile()) await addFile(path);
    else
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `Manifest path ${path} is not a regular file or a folder (a FIFO, socket or device cannot be read as manifests).`,
        { details: { file: path } },
      );
  }
  return out;
}
