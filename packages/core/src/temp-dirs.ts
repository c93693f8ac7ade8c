import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemError } from '@tsko/registry';

/** Temporary folders this process made and has not removed yet. */
const live = new Set<string>();
let hooked = false;

/**
 * A new temporary folder (`$TMPDIR/<prefix>XXXXXX`) that is removed by `removeTempDir`, or at
 * the latest when the process exits, so that no call leaves one behind: not on success, not
 * on failure, not on abort.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), prefix));
  } catch (err) {
    throw fileSystemError(err, 'Temporary folder in', tmpdir());
  }
  live.add(dir);
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous; these folders hold only what tsko wrote.
    process.once('exit', () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** Removes a folder made by `makeTempDir` (never throws: cleanup must not hide the real outcome). */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (!dir) return;
  live.delete(dir);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
