import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { isTskoError, runProgram, truncationMarker } from '@tsko/registry';
import { goTestEnvironment } from '@tsko/test-rig';

/** True while a process with this id exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.trim()) return text.trim();
    await sleep(25);
  }
  throw new Error(`${path} never appeared`);
}

describe('runProgram: bounded, abortable, time-limited runs of real programs', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-run-program-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('returns output, exit status and stdin round trip', async () => {
    const r = await runProgram('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello' });
    assert.deepEqual(r, {
      exitCode: 3,
      signal: null,
      stdout: 'hello',
      stderr: 'err\n',
      truncated: { stdout: false, stderr: false },
    });
  });

  it('keeps only the bound of a program printing more, marks the cut and still ends', async () => {
    const bound = 64 * 1024;
    // 5 MB on each stream: far past the bound and past a pipe's buffer, so an unread pipe would block.
    const script = 'head -c 5000000 /dev/zero | tr "\\0" a; head -c 5000000 /dev/zero | tr "\\0" b >&2';
    const r = await runProgram('sh', ['-c', script], { maxOutputBytes: bound });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.truncated, { stdout: true, stderr: true });
    assert.equal(r.stdout, 'a'.repeat(bound) + truncationMarker(bound));
    assert.equal(r.stderr, 'b'.repeat(bound) + truncationMarker(bound));
  });

  it('an abort kills the child and fails with TSKO_ABORTED', async () => {
    const pidFile = join(work, 'abort.pid');
    const controller = new AbortController();
    const run = runProgram('sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], { signal: controller.signal });
    const pid = Number(await waitForFile(pidFile));
    assert.ok(alive(pid), 'the child runs before the abort');
    const started = Date.now();
    controller.abort(new Error('user pressed stop'));
    await assert.rejects(
      run,
      (err: unknown) => isTskoError(err, 'TSKO_ABORTED') && /^sh was stopped/.test(err.message),
    );
    assert.ok(Date.now() - started < 2000, 'the run ends at once');
    assert.equal(alive(pid), false, 'the child is gone');
  });

  it('a time limit kills the child and fails with TSKO_PROGRAM_TIMEOUT naming it', async () => {
    const pidFile = join(work, 'timeout.pid');
    const started = Date.now();
    await assert.rejects(
      runProgram('sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], { timeoutMs: 300 }),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_PROGRAM_TIMEOUT'), String(err));
        assert.equal(err.details?.program, 'sh');
        assert.equal(err.details?.timeoutMs, 300);
        return true;
      },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 2500, `took ${elapsed} ms`);
    assert.equal(alive(Number(await readFile(pidFile, 'utf8'))), false);
  });

  it('does not hang on a grandchild that keeps the pipes open', async () => {
    // sh exits at once; its background sleep still holds stdout. The run ends after the drain wait.
    const started = Date.now();
    const r = await runProgram('sh', ['-c', 'echo parent; sleep 30 & exit 0']);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'parent\n');
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('a missing program is TSKO_PROGRAM_NOT_FOUND; a missing folder is TSKO_PATH_INVALID', async () => {
    await assert.rejects(runProgram('/nonexistent/tsko-no-such-program', []), (err: unknown) =>
      isTskoError(err, 'TSKO_PROGRAM_NOT_FOUND'),
    );
    await assert.rejects(runProgram('sh', ['-c', 'true'], { cwd: join(work, 'missing') }), (err: unknown) =>
      isTskoError(err, 'TSKO_PATH_INVALID'),
    );
  });

  it('never puts arguments or input in its errors (they may hold secrets)', async () => {
    const secret = 'hunter2-token-abcdef';
    await assert.rejects(
      runProgram('sh', ['-c', `sleep 30 # ${secret}`], { input: secret, timeoutMs: 200 }),
      (err: unknown) => isTskoError(err) && !JSON.stringify([err.message, err.details]).includes(secret),
    );
  });

  it('bounds the output of a real go program and streams its stderr lines', async () => {
    const dir = join(work, 'loud');
    await runProgram('mkdir', ['-p', dir]);
    await writeFile(join(dir, 'go.mod'), 'module example.com/loud\n\ngo 1.19\n');
    // Prints 10 MB, then one line to stderr: the bound holds for go's child as for sh.
    await writeFile(
      join(dir, 'main.go'),
      'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n\tfmt.Print(strings.Repeat("x", 10<<20))\n\tfmt.Fprintln(os.Stderr, "done printing")\n}\n',
    );
    const lines: string[] = [];
    const r = await runProgram('go', ['run', '.'], {
      cwd: dir,
      env: goTestEnvironment(),
      maxOutputBytes: 1 << 20,
      onStderrLine: (line) => lines.push(line),
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.truncated.stdout, true);
    assert.equal(r.stdout.length, (1 << 20) + truncationMarker(1 << 20).length);
    assert.ok(lines.includes('done printing'), lines.join('\n'));
  });
});
