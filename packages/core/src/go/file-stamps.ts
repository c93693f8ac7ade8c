import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';

/**
 * What a file or folder looked like when a build read it: (dev, inode, size, mtime, ctime) in
 * nanoseconds, or `missing`. A folder's mtime changes when an entry is added, removed or
 * renamed, which is how a new source file in a package folder is seen without listing it.
 */
export interface FileStamp {
  path: string;
  /** `dev:ino:size:mtimeNs:ctimeNs`, or `missing`. */
  stamp: string;
  /**
   * sha256 of the content (of the sorted entry names for a folder), kept only when the stamp
   * was taken within the file system's timestamp granularity of its last change: a second
   * edit in the same clock tick would keep the same mtime (git's "racily clean" problem).
   */
  racyHash?: string;
}

/** Kernel timestamps are taken from a coarse clock (one jiffy, up to 10 ms); 50 ms is safe. */
const RACY_WINDOW_NS = 50_000_000n;

/** The clock as stamps compare with it, read before the stat it judges. */
export const stampClock = (): bigint => BigInt(Date.now()) * 1_000_000n;

/**
 * Whether a stamp taken at `takenAt` (stampClock) is settled: its last change lies far enough
 * back that any later change gives it another stamp. An unsettled one must be judged by content.
 */
export const settledStamp = (s: { ctimeNs: bigint }, takenAt: bigint): boolean => s.ctimeNs + RACY_WINDOW_NS < takenAt;

/** The stamp text of a path now (see FileStamp), its ctime and whether it is a folder. */
export async function statText(path: string): Promise<{ text: string; ctimeNs: bigint; dir: boolean }> {
  try {
    const s = await stat(path, { bigint: true });
    return {
      text: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`,
      ctimeNs: s.ctimeNs,
      dir: s.isDirectory(),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return { text: 'missing', ctimeNs: 0n, dir: false };
    }
    throw err;
  }
}

async function contentHash(path: string, dir: boolean): Promise<string> {
  const h = createHash('sha256');
  if (dir) h.update((await readdir(path)).sort().join('\0'));
  else h.update(await readFile(path));
  return h.digest('hex');
}

/** Stamps of `paths`, taken in parallel. */
export async function takeStamps(paths: Iterable<string>): Promise<FileStamp[]> {
  const unique = [...new Set(paths)].sort();
  const now = stampClock();
  return Promise.all(
    unique.map(async (path): Promise<FileStamp> => {
      const s = await statText(path);
      const out: FileStamp = { path, stamp: s.text };
      // ctime moves with every change of content or metadata (and cannot be set back).
      if (s.text !== 'missing' && !settledStamp(s, now)) out.racyHash = await contentHash(path, s.dir);
      return out;
    }),
  );
}

/**
 * True when every stamp still holds (a racy one also by content). Any error, such as a
 * folder that became unreadable, counts as a change: the caller then builds for real.
 */
export async function stampsHold(stamps: readonly FileStamp[]): Promise<boolean> {
  try {
    const results = await Promise.all(
      stamps.map(async (s) => {
        const now = await statText(s.path);
        if (now.text !== s.stamp) return false;
        return s.racyHash === undefined || (await contentHash(s.path, now.dir)) === s.racyHash;
      }),
    );
    return results.every(Boolean);
  } catch {
    return false;
  }
}
