import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { isTskoError } from '@tsko/registry';

/** One row of a bad-input table: what to call, and what the error must say. */
export interface BadInput {
  name: string;
  run: () => unknown;
  /** The stable code expected. */
  code: string;
  /** What the message must name: the file, field, reference or value that is wrong. */
  names: string | RegExp | readonly (string | RegExp)[] | (() => string | RegExp | readonly (string | RegExp)[]);
  /** Files or folders that must be byte-identical afterwards ("nothing lost"). */
  unchanged?: () => string[];
  /** Upper bound for the call (default 15 s): a hang fails the row instead of the suite. */
  timeoutMs?: number;
}

/** Bytes of a file, or of every file under a folder, keyed by path. */
async function snapshot(path: string, out = new Map<string, string>()): Promise<Map<string, string>> {
  const info = await stat(path).catch(() => undefined);
  if (!info) out.set(path, '(missing)');
  else if (info.isDirectory()) for (const name of (await readdir(path)).sort()) await snapshot(join(path, name), out);
  else if (info.isFile()) out.set(path, (await readFile(path)).toString('base64'));
  else out.set(path, '(special)');
  return out;
}

/**
 * Registers one test per row: the call must fail within its bound, with a TskoError of the
 * row's code (never a raw Error), whose message names the bad thing, and leave the listed
 * files as they were.
 */
export function badInputRows(rows: readonly BadInput[]): void {
  for (const row of rows) {
    it(`${row.name} → ${row.code}`, async () => {
      const before = row.unchanged ? await Promise.all(row.unchanged().map((p) => snapshot(p))) : [];
      const bound = row.timeoutMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        (async () => row.run())().then(
          (value) => ({ kind: 'resolved' as const, value }),
          (error: unknown) => ({ kind: 'rejected' as const, error }),
        ),
        new Promise<{ kind: 'hung' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hung' }), bound))),
      ]);
      clearTimeout(timer);
      assert.notEqual(outcome.kind, 'hung', `no answer within ${bound} ms`);
      assert.equal(
        outcome.kind,
        'rejected',
        `expected ${row.code}, but it succeeded: ${JSON.stringify((outcome as { value?: unknown }).value)?.slice(0, 200)}`,
      );
      const error = (outcome as { error: unknown }).error;
      assert.ok(isTskoError(error), `a raw error escaped: ${String(error)}\n${(error as Error)?.stack ?? ''}`);
      assert.equal(error.code, row.code, error.message);
      const names = typeof row.names === 'function' ? row.names() : row.names;
      for (const n of Array.isArray(names) ? names : [names]) {
        if (typeof n === 'string') assert.ok(error.message.includes(n), `message should name "${n}": ${error.message}`);
        else assert.match(error.message, n as RegExp);
      }
      if (row.unchanged) {
        const after = await Promise.all(row.unchanged().map((p) => snapshot(p)));
        assert.deepEqual(after, before, 'files changed');
      }
    });
  }
}
