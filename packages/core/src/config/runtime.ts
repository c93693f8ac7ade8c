import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { fileSystemError, type RegistryEvent, type RegistryOptions } from '@tsko/registry';
import type { CoreEvent } from '../events.js';
import { BlobStore } from '../layers/blob-store.js';
import type { ExecutionOptions, SinkSpec } from '../options.js';
import { makeTempDir } from '../temp-dirs.js';

/**
 * How one build or publish runs, with its defaults applied: where images go, the layer cache,
 * registry access, limits, cancellation and progress. The live objects live here, never in the
 * plan's settings.
 */
export interface Runtime {
  push: boolean;
  sinks: SinkSpec[];
  sbomAttachment: 'referrers' | 'tag' | 'both' | undefined;
  /** Absolute. */
  sbomDir: string | undefined;
  /** Absolute. */
  imageRefsFile: string | undefined;
  store: BlobStore;
  /** The throw-away cache of `cacheDir: false`, removed when the call is done. */
  tempCache: string | undefined;
  /** Options of the call's registry session. */
  registry: RegistryOptions;
  concurrency: number;
  pushConcurrency: number;
  signal: AbortSignal | undefined;
  onEvent: ((event: CoreEvent | RegistryEvent) => void) | undefined;
}

/** The execution options of a call whose relative paths are under `dir`, with defaults applied. */
export async function resolveRuntime(exec: ExecutionOptions, dir: string, env: NodeJS.ProcessEnv): Promise<Runtime> {
  const registry: RegistryOptions = { env };
  if (exec.credentials) registry.credentials = exec.credentials;
  if (exec.insecureRegistries) registry.insecure = exec.insecureRegistries;
  if (exec.ca) registry.ca = exec.ca;
  if (exec.signal) registry.signal = exec.signal;
  if (exec.onEvent) registry.onEvent = exec.onEvent;
  if (exec.timeouts) registry.timeouts = exec.timeouts;
  if (exec.retry) registry.retry = exec.retry;

  const cacheRoot = exec.cacheDir ? resolve(dir, exec.cacheDir) : BlobStore.defaultRoot(env);
  if (exec.cacheDir !== false) {
    await mkdir(cacheRoot, { recursive: true }).catch((err: unknown) => {
      throw fileSystemError(err, exec.cacheDir ? 'options.cacheDir' : 'The layer cache (cacheDir)', cacheRoot);
    });
  }
  // Last, so that nothing after it can fail and leave the folder behind.
  const tempCache = exec.cacheDir === false ? await makeTempDir('tsko-cache-') : undefined;
  return {
    push: exec.push ?? true,
    sinks: exec.sinks ?? [],
    sbomAttachment: exec.sbomAttachment,
    sbomDir: exec.sbomDir ? resolve(dir, exec.sbomDir) : undefined,
    imageRefsFile: exec.imageRefsFile ? resolve(dir, exec.imageRefsFile) : undefined,
    store: new BlobStore(tempCache ?? cacheRoot),
    tempCache,
    registry,
    concurrency: exec.concurrency ?? Math.max(1, availableParallelism()),
    pushConcurrency: exec.pushConcurrency ?? 4,
    signal: exec.signal,
    onEvent: exec.onEvent,
  };
}
