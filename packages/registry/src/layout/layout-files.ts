import { access, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The annotation an OCI layout uses to name an entry (the tag). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * `blobs/<algo>/<hex>` of a layout. Callers pass only digests that passed the schema, so the
 * parts cannot climb out of `blobs/`.
 */
export function blobPath(root: string, digest: string): string {
  const [algo, hex] = digest.split(':');
  return join(root, 'blobs', algo!, hex!);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A name no other writer (in this process or another) picks for its temporary file. */
export const uniqueSuffix = (): string => `${process.pid}-${Math.random().toString(36).slice(2)}`;

/** Writes a small file by rename, so a reader (or a crash) never sees it half written. */
export async function replaceFile(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
