import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { fileSystemError, parseRepository, TskoError, type RegistryEvent, type RegistryOptions } from '@tsko/registry';
import type { CoreEvent } from '../events.js';
import { BlobStore } from '../layers/blob-store.js';
import type { BuildCacheOptions, ExecutionOptions, SinkSpec } from '../options.js';
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
  /** `buildCache` with its default applied; the repository is checked. */
  buildCache: { repo: string; write: boolean } | undefined;
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

  // Checked before anything is made, so a bad repository leaves no folder behind.
  if (exec.buildCache) buildCacheSettings(exec.buildCache);
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
    buildCache: exec.buildCache ? buildCacheSettings(exec.buildCache) : undefined,
    tempCache,
    registry,
    concurrency: exec.concurrency ?? Math.max(1, availableParallelism()),
    pushConcurrency: exec.pushConcurrency ?? 4,
    signal: exec.signal,
    onEvent: exec.onEvent,
  };
}

/** The shared build cache's settings; a repository that does not parse is `TSKO_INVALID_REFERENCE` naming the option. */
function buildCacheSettings(o: BuildCacheOptions): { repo: string; write: boolean } {
  try {
    parseRepository(o.repo);
  } catch (cause) {
    throw new TskoError(
      'TSKO_INVALID_REFERENCE',
      `options.buildCache.repo "${o.repo.slice(0, 200)}" is not a repository such as registry.example.com/team/tsko-build-cache.`,
      { cause, details: { field: 'buildCache.repo' } },
    );
  }
  return { repo: o.repo, write: o.write ?? true };
}
