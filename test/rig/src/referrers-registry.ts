import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureReferrersRegistry } from './go-tools.js';
import { freePort, startDaemon, stopDaemon, waitFor } from './process.js';

/** A running registry with the OCI 1.1 referrers API (go-containerregistry's, see test/rig/go). */
export interface ReferrersRegistry {
  host: string;
  /** `METHOD path` of every request it has logged so far. */
  requests(): Promise<{ method: string; path: string }[]>;
  skopeoFlags(): string[];
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Builds (once, cached in the rig folder) and starts the referrers registry on 127.0.0.1. */
export async function startReferrersRegistry(): Promise<ReferrersRegistry> {
  const binary = await ensureReferrersRegistry();
  const dir = await mkdtemp(join(tmpdir(), 'tsko-referrers-registry-'));
  const port = await freePort();
  // go-containerregistry's disk blob handler writes into the folder but does not create it.
  await mkdir(join(dir, 'blobs'));
  const logPath = join(dir, 'registry.log');
  const log = createWriteStream(logPath);
  const child = startDaemon(binary, [`127.0.0.1:${port}`, join(dir, 'blobs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor(`referrers registry on port ${port}`, async () => {
    if (exited) throw new Error(`referrers registry exited:\n${await readFile(logPath, 'utf8')}`);
    return portOpen(port);
  });
  return {
    host: `127.0.0.1:${port}`,
    async requests() {
      const text = await readFile(logPath, 'utf8');
      return [...text.matchAll(/ (GET|HEAD|POST|PUT|PATCH|DELETE) (\S+)/g)].map((m) => ({
        method: m[1]!,
        path: m[2]!,
      }));
    },
    skopeoFlags: () => ['--tls-verify=false'],
    async stop() {
      await stopDaemon(child);
      log.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
