import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { MediaType, type Layer, type Platform } from '@tsko/registry';
import type { BlobStore } from './blob-store.js';
import { kodataAllowedRoot, kodataItems, type KodataItem } from './kodata-tree.js';
import { storedRanges, tarPieces, type TarEntry } from './tar-entries.js';
import { isWindows, WINDOWS_FILE_PAX, WINDOWS_LAYER_DIRS, windowsLayerPath } from './windows-layout.js';

/** Where kodata lives in the image, and the value of KO_DATA_PATH. */
export const KODATA_ROOT = '/var/run/ko';
// v3: Windows layout; v4: files in a compressed format (gzip, zstd, xz, bzip2, WOFF2) stored as
// they are in the gzip, not deflated again.
const FORMAT_VERSION = 'kodata-layer-v4';

export interface KodataLayerOptions {
  /** The `kodata/` folder beside the main package (it may not exist: the layer then holds only the folders). */
  kodataDir: string;
  /** mtime of every entry: KO_DATA_DATE_EPOCH, else the Unix epoch. */
  mtime?: Date;
  /**
   * KO_DATA_PATH_ALLOWED_ROOT: where kodata symlinks may point. Without it, the enclosing git
   * worktree; either only if it contains `kodataDir`.
   */
  allowedRoot?: string;
  mediaType?: string;
  /** The image's platform: a Windows one gets the Windows layout (`Files/var/run/ko/…`). */
  platform?: Platform;
  store: BlobStore;
}

/**
 * ko's kodata layer: `/var`, `/var/run`, `/var/run/ko`, then every folder and file under
 * `kodata/` at `/var/run/ko/<path>` (all 0555, root-owned, fixed mtime), in ko's walk order.
 * Symlinks are followed within the allowed root (see {@link KodataLayerOptions.allowedRoot}).
 * For Windows, as ko: `Hives`, `Files`, `Files/var`, … `Files/var/run/ko/<path>`, each file
 * with the security descriptor Windows needs, and symlinks skipped (a cross-built Windows
 * image cannot carry them).
 * Cached by what the host says about each file (inode, size, mtime, ctime) and the entry
 * list, so an unchanged tree is neither re-tarred nor re-gzipped.
 */
export async function kodataLayer(options: KodataLayerOptions): Promise<Layer> {
  const mtime = options.mtime ?? new Date(0);
  const mediaType = options.mediaType ?? MediaType.OCI_LAYER_GZIP;
  const windows = isWindows(options.platform);
  const inImage = windows ? windowsLayerPath(KODATA_ROOT) : KODATA_ROOT;
  const dirs = windows
    ? [...WINDOWS_LAYER_DIRS, ...['/var', '/var/run', KODATA_ROOT].map(windowsLayerPath)]
    : ['/var', '/var/run', KODATA_ROOT];
  const entries: TarEntry[] = dirs.map((name) => ({ type: 'directory', name, mode: 0o555, mtime }));
  const root = await realpathIfDir(options.kodataDir);
  const walk = windows ? { skipSymlinks: true, filePax: WINDOWS_FILE_PAX } : {};
  const items: KodataItem[] = root
    ? await kodataItems(
        root,
        inImage,
        mtime,
        await kodataAllowedRoot(root, options.allowedRoot),
        options.kodataDir,
        walk,
      )
    : [];
  entries.push(...items.map((i) => i.entry));
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        FORMAT_VERSION,
        windows,
        mtime.getTime(),
        items.map((i) => [i.entry.type, i.entry.name, i.stamp ?? '']),
      ]),
    )
    .digest('hex');
  const hit = await options.store.lookup(key);
  if (hit) return options.store.layer(hit, mediaType);
  const blob = await options.store.writeTarGz(tarPieces(entries), { stored: await storedRanges(entries) });
  await options.store.remember(key, blob);
  return options.store.layer(blob, mediaType);
}

async function realpathIfDir(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? await realpath(path) : undefined;
  } catch {
    return undefined;
  }
}
