import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TskoError } from '@tsko/registry';
import type { TarEntry } from './tar-entries.js';

/** A kodata file or folder: its tar entry, and for files what the host says about the source. */
export interface KodataItem {
  entry: TarEntry;
  /** dev, inode, size, mtime and ctime (ns) of the file read; absent for folders. */
  stamp?: string;
}

/** How the walk differs per target OS: Windows images skip symlinks and mark every file. */
export interface KodataWalkOptions {
  skipSymlinks?: boolean;
  filePax?: Readonly<Record<string, Uint8Array>>;
}

/**
 * The entries of `realRoot` (a resolved kodata folder) as ko writes them: a pre-order walk in
 * byte order of names (Go's filepath.Walk), a directory entry for each folder before its
 * contents, symlinks followed. A symlink may resolve anywhere inside `allowedRoot` (see
 * {@link kodataAllowedRoot}); elsewhere it is `TSKO_KODATA_ESCAPE`, since it would copy
 * arbitrary host files into a published image.
 */
export async function kodataItems(
  realRoot: string,
  inImage: string,
  mtime: Date,
  allowedRoot: string,
  shownRoot: string,
  how: KodataWalkOptions = {},
): Promise<KodataItem[]> {
  const out: KodataItem[] = [];
  const where = { allowedRoot, shownRoot, ...how };
  await walk(realRoot, inImage, mtime, out, new Set([realRoot]), where);
  return out;
}

type Where = { allowedRoot: string; shownRoot: string } & KodataWalkOptions;

async function walk(
  dir: string,
  inImage: string,
  mtime: Date,
  out: KodataItem[],
  visiting: Set<string>,
  where: Where,
): Promise<void> {
  const names = (await readdir(dir)).sort(byteOrder);
  for (const name of names) {
    const hostPath = join(dir, name);
    const imagePath = `${inImage}/${name}`;
    const link = await lstat(hostPath);
    if (link.isSymbolicLink() && where.skipSymlinks) continue;
    const target = link.isSymbolicLink() ? await resolveLink(hostPath, where) : hostPath;
    const info = await stat(target, { bigint: true });
    if (info.isDirectory()) {
      if (visiting.has(target)) {
        throw new TskoError(
          'TSKO_KODATA_ESCAPE',
          `kodata symlink ${relative(where.shownRoot, hostPath)} makes a cycle; remove it.`,
          { details: { path: hostPath } },
        );
      }
      out.push({ entry: { type: 'directory', name: imagePath, mode: 0o555, mtime } });
      visiting.add(target);
      await walk(target, imagePath, mtime, out, visiting, where);
      visiting.delete(target);
    } else if (info.isFile()) {
      const stamp = [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join(':');
      out.push({
        entry: {
          type: 'file',
          name: imagePath,
          mode: 0o555,
          mtime,
          size: Number(info.size),
          source: target,
          ...(where.filePax ? { pax: where.filePax } : {}),
        },
        stamp,
      });
    }
    // Sockets, FIFOs and devices are skipped: they have no content to ship.
  }
}

async function resolveLink(hostPath: string, where: { allowedRoot: string; shownRoot: string }): Promise<string> {
  let target: string;
  try {
    target = await realpath(hostPath);
  } catch (cause) {
    throw new TskoError(
      'TSKO_KODATA_ESCAPE',
      `kodata symlink ${relative(where.shownRoot, hostPath)} points at nothing; fix or remove it.`,
      { cause, details: { path: hostPath } },
    );
  }
  if (!withinRoot(target, where.allowedRoot)) {
    throw new TskoError(
      'TSKO_KODATA_ESCAPE',
      `kodata symlink ${relative(where.shownRoot, hostPath)} resolves to ${target}, outside the allowed root ${where.allowedRoot}; ` +
        'only files inside the git worktree (or KO_DATA_PATH_ALLOWED_ROOT) are published.',
      { details: { path: hostPath, target, allowedRoot: where.allowedRoot } },
    );
  }
  return target;
}

/**
 * Where kodata symlinks may point, as ko decides it: `override` (KO_DATA_PATH_ALLOWED_ROOT)
 * if set, else the enclosing git worktree (the nearest folder holding `.git`), and either only
 * when it contains the kodata folder; otherwise the kodata folder itself. So an in-repo
 * `kodata/LICENSE -> ../../LICENSE` works and a link out of the project does not.
 */
export async function kodataAllowedRoot(realKodata: string, override?: string): Promise<string> {
  const candidate = override || (await enclosingGitRoot(realKodata));
  if (!candidate) return realKodata;
  let root = resolve(candidate);
  try {
    root = await realpath(root);
  } catch {
    // A root that does not exist cannot contain kodata; withinRoot below says no.
  }
  return withinRoot(realKodata, root) ? root : realKodata;
}

/** Whether `path` is `root` or lies inside it (a root of `/` included). */
export function withinRoot(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

async function enclosingGitRoot(dir: string): Promise<string | undefined> {
  for (;;) {
    try {
      await stat(join(dir, '.git'));
      return dir;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }
}

// Go sorts names by their bytes; JavaScript's default sort compares UTF-16 code units, which
// orders some non-BMP names differently.
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
