import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileSystemError } from '../error-wrapping.js';
import { abortError, TskoError } from '../errors.js';

/** A lock older than this is stale whatever it says: the section it guards takes milliseconds. */
const STALE_MS = 30_000;
/** How long a writer waits for a live lock before giving up. */
const WAIT_MS = 60_000;

/** Writers of this process, queued per lock path (a second `open(O_EXCL)` from us would just spin). */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding `lockPath`: first in this process's queue for that path, then across
 * processes through a lock file created with O_EXCL. The file says who holds it (pid, host,
 * time); a lock whose process is gone (same host) or that is older than 30 s is stale and
 * taken over, so a crashed writer never blocks a folder for good.
 */
export function withFileLock<T>(lockPath: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const key = resolve(lockPath);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      await acquire(key, signal);
      try {
        return await fn();
      } finally {
        await rm(key, { force: true });
      }
    });
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

async function acquire(lockPath: string, signal: AbortSignal | undefined): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw abortError(signal);
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid} ${hostname()} ${Date.now()}\n`);
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileSystemError(err, 'Lock file', lockPath);
    }
    if (await isStale(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() - started > WAIT_MS) {
      throw new TskoError(
        'TSKO_LOCKED',
        `${lockPath} has been held by another writer for over ${WAIT_MS / 1000} s. If no tsko process is writing there, delete the file.`,
        { details: { path: lockPath } },
      );
    }
    await sleep(Math.min(100, 5 + attempt * 5) + Math.random() * 10);
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    if (Date.now() - info.mtimeMs > STALE_MS) return true;
    const [pid, host] = text.trim().split(' ');
    // Only a lock from this machine can be checked for a live process.
    if (host === hostname() && pid && /^\d+$/.test(pid) && Number(pid) !== process.pid) {
      try {
        process.kill(Number(pid), 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return false;
  } catch {
    // Gone already (released), or half-written by a writer that is creating it right now.
    return false;
  }
}
