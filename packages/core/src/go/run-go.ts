import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { abortError, asTskoError, TskoError } from '@tsko/registry';

export interface GoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `go` program to run: `goBinary`, else `KO_GO_PATH`, else `go` on PATH (as ko). */
export function goProgram(goBinary: string | undefined, env: NodeJS.ProcessEnv): string {
  return goBinary ?? env.KO_GO_PATH ?? 'go';
}

/**
 * Runs the Go tool, capturing output (bounded), killing it when `signal` aborts. A missing
 * Go tool is `TSKO_GO_NOT_FOUND` with install advice. `onStderrLine` sees each stderr line as
 * it arrives (a cold build prints module downloads long before it ends).
 */
export function runGo(
  program: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    signal?: AbortSignal | undefined;
    onStderrLine?: ((line: string) => void) | undefined;
  },
): Promise<GoRun> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(abortError(options.signal));
      return;
    }
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const cap = 4 << 20;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < cap) stdout += d;
    });
    let partial = '';
    const onLine = options.onStderrLine;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < cap) stderr += d;
      if (!onLine) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!.slice(-8192); // bounded: a line without end cannot grow forever
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    });
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (err.code === 'ENOENT' && !existsSync(options.cwd)) {
        // spawn reports a missing working folder as ENOENT too: name the folder, not Go.
        reject(
          new TskoError('TSKO_PATH_INVALID', `The folder to run ${program} in, ${options.cwd}, does not exist.`, {
            cause: err,
            details: { path: options.cwd },
          }),
        );
      } else if (err.code === 'ENOENT') {
        reject(
          new TskoError(
            'TSKO_GO_NOT_FOUND',
            `The Go tool "${program}" was not found. Install Go (e.g. apt-get install golang-go), or point KO_GO_PATH / goBinary at it.`,
            { cause: err },
          ),
        );
      } else reject(asTskoError(err, `Running ${program}`));
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (onLine && partial) onLine(partial);
      if (options.signal?.aborted) reject(abortError(options.signal));
      else resolve({ code, stdout, stderr });
    });
  });
}
