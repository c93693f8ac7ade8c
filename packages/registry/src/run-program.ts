import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { asTskoError } from './error-wrapping.js';
import { TskoError } from './errors.js';

/** How to run a program: where, with what, and the limits that keep a run from hanging or growing. */
export interface RunProgramOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the program's stdin, which is then closed. Without it stdin is empty. */
  input?: string;
  /** Kills the program (SIGKILL) and fails with `TSKO_ABORTED`. */
  signal?: AbortSignal | undefined;
  /** Kills the program (SIGKILL) after this long and fails with `TSKO_PROGRAM_TIMEOUT`. */
  timeoutMs?: number;
  /**
   * Bytes kept of stdout and of stderr, each (default 4 MiB). The rest is read and dropped, so
   * the program never blocks on a full pipe; the kept text ends with a marker and `truncated`
   * says which stream was cut.
   */
  maxOutputBytes?: number;
  /** Each line of stderr as it arrives (a cold `go build` prints downloads long before it ends). */
  onStderrLine?: ((line: string) => void) | undefined;
}

/** How a program ended. A failing exit status is a result, not an error: callers know what it means. */
export interface ProgramResult {
  exitCode: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
}

const DEFAULT_MAX_OUTPUT = 4 << 20;
/** After the program exits, how long to wait for its pipes to drain before closing them. */
const DRAIN_MS = 2000;
/** A stderr line longer than this is passed on in pieces, so one endless line cannot grow forever. */
const MAX_LINE = 8192;

/** The marker that ends output cut at `limit` bytes. */
export function truncationMarker(limit: number): string {
  return `\n[output truncated: more than ${limit} bytes]`;
}

/**
 * Runs a program (go, git, kubectl, a credential helper) with bounded output, an abort signal
 * and a time limit. Errors name the program, never its arguments, input or output, since any of
 * those may hold a secret (a token in ldflags, a password on a helper's stdout); callers add what
 * is safe to show. A missing program is `TSKO_PROGRAM_NOT_FOUND`, a missing `cwd`
 * `TSKO_PATH_INVALID`. The run never hangs on a grandchild that keeps the pipes open: once the
 * program has exited, its pipes get two seconds to drain.
 */
export function runProgram(
  program: string,
  args: readonly string[],
  options: RunProgramOptions = {},
): Promise<ProgramResult> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortedRun(program, signal));
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout = new BoundedText(limit);
    const stderr = new BoundedText(limit);
    const lines = options.onStderrLine ? new LineSplitter(options.onStderrLine) : undefined;
    child.stdout!.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.add(chunk);
      lines?.add(chunk);
    });
    let stopped: TskoError | undefined;
    let settled = false;
    let drain: NodeJS.Timeout | undefined;
    const stop = (why: TskoError) => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop(abortedRun(program, signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              stop(
                new TskoError(
                  'TSKO_PROGRAM_TIMEOUT',
                  `${program} ran longer than ${options.timeoutMs} ms and was stopped.`,
                  {
                    details: { program, timeoutMs: options.timeoutMs },
                  },
                ),
              ),
            options.timeoutMs,
          );
    const finish = (fail: TskoError | undefined, exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      lines?.end();
      if (fail) return reject(fail);
      resolve({
        exitCode,
        signal: exitSignal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
      });
    };
    child.on('error', (err: NodeJS.ErrnoException) => finish(spawnError(program, err, options.cwd), null, null));
    child.on('exit', (code, sig) => {
      // Normally 'close' follows at once; a grandchild holding the pipes must not hold us.
      drain = setTimeout(() => finish(stopped, code, sig), stopped ? 0 : DRAIN_MS);
    });
    child.on('close', (code, sig) => finish(stopped, code, sig));
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined); // a program that exits without reading its input
      child.stdin!.end(options.input);
    }
  });
}

function abortedRun(program: string, signal: AbortSignal): TskoError {
  return new TskoError('TSKO_ABORTED', `${program} was stopped: the operation was aborted by its AbortSignal.`, {
    cause: signal.reason,
  });
}

function spawnError(program: string, err: NodeJS.ErrnoException, cwd: string | undefined): TskoError {
  if (err.code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) {
    // spawn reports a missing working folder as ENOENT too: name the folder, not the program.
    return new TskoError('TSKO_PATH_INVALID', `The folder to run ${program} in, ${cwd}, does not exist.`, {
      cause: err,
      details: { path: cwd },
    });
  }
  if (err.code === 'ENOENT') {
    return new TskoError('TSKO_PROGRAM_NOT_FOUND', `${program} was not found (not on PATH, or no such file).`, {
      cause: err,
      details: { program },
    });
  }
  return asTskoError(err, `Running ${program}`);
}

/** The first `limit` bytes of a stream, decoded once at the end (no split UTF-8 characters). */
class BoundedText {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;
  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.truncated ? text + truncationMarker(this.limit) : text;
  }
}

/** Splits a byte stream into lines for a callback, bounding a line that never ends. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}

  add(chunk: Buffer): void {
    const lines = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = lines.pop()!;
    if (this.partial.length > MAX_LINE) {
      lines.push(this.partial.slice(0, MAX_LINE));
      this.partial = '';
    }
    for (const line of lines) this.onLine(line.replace(/\r$/, ''));
  }

  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest) this.onLine(rest.replace(/\r$/, ''));
  }
}
