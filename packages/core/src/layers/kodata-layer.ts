import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MediaType, TskoError, type Layer } from '@tsko/registry';
import { BlobStore } from './blob-store.js';
import { tarStream, type TarEntry } from './tar-entries.js';

/** Where kodata lives in the image, and the value of KO_DATA_PATH. */
export const KODATA_ROOT = '/var/run/ko';

export interface KodataLayerOptions {
  /** The `kodata/` folder beside the main package (it may not exist: the layer then holds only the folders). */
  kodataDir: string;
  /** mtime of every entry: KO_DATA_DATE_EPOCH, else the Unix epoch. */
  mtime?: Date;
  mediaType?: string;
  store: BlobStore;
}

/**
 * ko's kodata layer: `/var`, `/var/run`, `/var/run/ko` (0555), then every folder and file
 * under `kodata/` at `/var/run/ko/<path>` (0555, root-owned, fixed mtime), in sorted order. Symlinks
 * are followed; one that resolves outside `kodata/` is `TSKO_KODATA_ESCAPE`, since it would
 * copy arbitrary host files into a published image.
 */
export async function kodataLayer(options: KodataLayerOptions): Promise<Layer> {
  const mtime = options.mtime ?? new Date(0);
  const entries: TarEntry[] = ['/var', '/var/run', KODATA_ROOT].map((name) => ({ type: 'directory', name, mode: 0o555, mtime }));
  const root = await realpathIfDir(options.kodataDir);
  if (root) await collect(root, root, KODATA_ROOT, mtime, entries, new Set([root]), options.kodataDir);
  const blob = await options.store.writeTarGz(tarStream(entries));
  return options.store.layer(blob, options.mediaType ?? MediaType.OCI_LAYER_GZIP);
}

async function realpathIfDir(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? await realpath(path) : undefined;
  } catch {
    return undefined;
  }
}

async function collect(root: string, dir: string, inImage: string, mtime: Date, out: TarEntry[], visiting: Set<string>, shownRoot: string): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const hostPath = join(dir, name);
    const target = (await lstat(hostPath)).isSymbolicLink() ? await resolveLink(hostPath, root, shownRoot) : hostPath;
    const info = await stat(target);
    const imagePath = `${inImage}/${name}`;
    if (info.isDirectory()) {
      if (visiting.has(target)) {
        throw new TskoError('TSKO_KODATA_ESCAPE', `kodata symlink ${relative(shownRoot, hostPath)} makes a cycle; remove it.`, { details: { path: hostPath } });
      }
      // ko writes each folder below kodata/ as its own entry, before its contents.
      out.push({ type: 'directory', name: imagePath, mode: 0o555, mtime });
      visiting.add(target);
      await collect(root, target, imagePath, mtime, out, visiting, shownRoot);
      visiting.delete(target);
    } else if (info.isFile()) {
      out.push({ type: 'file', name: imagePath, mode: 0o555, mtime, size: info.size, source: target });
    }
    // Sockets, FIFOs and devices are skipped: they have no content to ship.
  }
}

async function resolveLink(hostPath: string, root: string, shownRoot: string): Promise<string> {
  let target: string;
  try {
    target = await realpath(hostPath);
  } catch (cause) {
    throw new TskoError('TSKO_KODATA_ESCAPE', `kodata symlink ${relative(shownRoot, hostPath)} points at nothing; fix or remove it.`, { cause, details: { path: hostPath } });
  }
  if (target !== root && !target.startsWith(root + sep)) {
    throw new TskoError('TSKO_KODATA_ESCAPE', `kodata symlink ${relative(shownRoot, hostPath)} resolves to ${target}, outside ${shownRoot}; only files inside kodata/ are published.`, { details: { path: hostPath, target } });
  }
  return target;
}
