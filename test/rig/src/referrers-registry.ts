import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureReferrersRegistry } from './go-tools.js';
import { listeningPort, startDaemon, stopDaemon } from './process.js';

/** A running registry with the OCI 1.1 referrers API (go-containerregistry's, see test/rig/go). */
export interface ReferrersRegistry {
  host: string;
  /** `METHOD path` of every request it has logged so far. */
  requests(): Promise<{ method: string; path: string }[]>;
  skopeoFlags(): string[];
  stop(): Promise<void>;
}

/** Builds (once, cached in the rig folder) and starts the referrers registry on 127.0.0.1. */
export async function startReferrersRegistry(): Promise<ReferrersRegistry> {
  const binary = await ensureReferrersRegistry();
  const dir = await mkdtemp(join(tmpdir(), 'tsko-referrers-registry-'));
  // go-containerregistry's disk blob handler writes into the folder but does not create it.
  await mkdir(join(dir, 'blobs'));
  const logPath = join(dir, 'registry.log');
  const log = createWriteStream(logPath);
  const child = startDaemon(binary, ['127.0.0.1:0', join(dir, 'blobs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  const port = await listeningPort('referrers registry', logPath, () => exited);
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
