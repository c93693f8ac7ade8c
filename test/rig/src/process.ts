import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * A loopback port where nothing listens, for "the registry is down" tests: privileged, and
 * below the kernel's ephemeral range (32768 and up), where every port-0 bind of the rig and of
 * parallel test files lands. A free port from freePort() could be taken by one of those
 * before the test connects.
 */
export const CLOSED_PORT = 1;

const handedOut = new Set<number>();

/**
 * A port the kernel says is free right now on 127.0.0.1, never the same one twice in a process.
 * It is free only until someone else binds it: a daemon that can listen on port 0 and say where
 * should (see listeningPort), since two test files starting servers at once can be handed one.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a time limit, capturing output. */
export function run(
  cmd: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

/** Runs a command and throws with its output when it fails. */
export async function runOk(
  cmd: string,
  args: readonly string[],
  options: Parameters<typeof run>[2] = {},
): Promise<string> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a long-running child that is killed when the test process exits, even on failure. */
export function startDaemon(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { ...options, stdio: options.stdio ?? 'ignore' });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** Polls `check` until it is true, failing after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Waits for a daemon started on 127.0.0.1:0 to write `listening on 127.0.0.1:PORT` to its log
 * and returns PORT: the port it bound itself, so no other process can have taken it first.
 */
export async function listeningPort(what: string, logPath: string, exited: () => boolean): Promise<number> {
  let port = 0;
  let ended = '';
  await waitFor(what, async () => {
    const text = await readFile(logPath, 'utf8');
    const found = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
    if (found) port = Number(found[1]);
    else if (exited()) ended = text;
    return port > 0 || ended !== '';
  });
  if (!port) throw new Error(`${what} exited before listening:\n${ended}`);
  return port;
}
