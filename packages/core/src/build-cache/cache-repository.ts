import {
  isTskoError,
  MediaType,
  parseRepository,
  pullArtifact,
  pushArtifact,
  withLayerMediaType,
  type Layer,
  type Reference,
  type RegistrySession,
} from '@tsko/registry';
import type { CoreEvent } from '../events.js';
import { BUILD_RECORD_MEDIA_TYPE, decodeRecord, encodeRecord, type BuildRecord } from './share-record.js';

/** A record read from the cache, with its binary layer (given the record's diffId). */
export type CachedBuild = { record: BuildRecord; layer: (diffId: BuildRecord['diffId']) => Layer };

type SharedCacheEvent = Extract<CoreEvent, { type: 'build:shared-cache' }>;
/** What an event about one tag says besides its result. */
export type EventBase = Omit<SharedCacheEvent, 'result' | 'reason'>;

/**
 * The cache repository as one call sees it: each tag read once, and the first registry
 * failure (down, 401, TLS) turns it off for the rest of the call, so a dead cache costs one
 * request's retries, not one per build. Failures are events, never errors.
 */
export class CacheRepository {
  private readonly repo: Reference;
  private readonly reads = new Map<string, Promise<CachedBuild | undefined>>();
  private failedOnce = false;

  constructor(
    repo: string,
    private readonly session: RegistrySession,
    private readonly emit: (event: CoreEvent) => void,
    private readonly signal: AbortSignal | undefined,
    private readonly pushConcurrency: number,
  ) {
    this.repo = parseRepository(repo);
  }

  /** True once a read or write failed in this call. */
  get off(): boolean {
    return this.failedOnce;
  }

  /** The record under `tag`; undefined when absent, not a record, or the cache is off. */
  read(tag: string, event: EventBase): Promise<CachedBuild | undefined> {
    let p = this.reads.get(tag);
    if (!p) {
      p = this.readUncached(tag, event);
      this.reads.set(tag, p);
    }
    return p;
  }

  private async readUncached(tag: string, event: EventBase): Promise<CachedBuild | undefined> {
    if (this.failedOnce) return undefined;
    try {
      const artifact = await pullArtifact(
        { ...this.repo, tag },
        { session: this.session, configMediaType: BUILD_RECORD_MEDIA_TYPE, configLimit: 16 << 20 },
      );
      if (!artifact) return undefined;
      const record = decodeRecord(artifact.config);
      const blob = artifact.manifest.layers[0];
      if (!record || artifact.manifest.layers.length !== 1 || !blob) {
        this.emit({ ...event, tag, result: 'read-failed', reason: 'the artifact is not a tsko build record' });
        return undefined;
      }
      return { record, layer: (diffId) => artifact.layer(blob, diffId) };
    } catch (err) {
      this.failed(err, { ...event, tag }, 'read-failed');
      return undefined;
    }
  }

  /**
   * Pushes a record and its binary layer under `tag` and `moreTags`. Returns the layer to put
   * in the image: once stored, with the cache as its source, so that a push to the same
   * registry mounts the blob instead of uploading it a second time.
   */
  async write(record: BuildRecord, layer: Layer, moreTags: string[], event: EventBase): Promise<Layer> {
    if (this.failedOnce) return layer;
    try {
      await pushArtifact(
        { ...this.repo, tag: record.tag },
        {
          configMediaType: BUILD_RECORD_MEDIA_TYPE,
          config: encodeRecord(record),
          // The blob is the image's; only the artifact's descriptor says OCI whatever the base uses.
          layers: [withLayerMediaType(layer, MediaType.OCI_LAYER_GZIP)],
        },
        {
          session: this.session,
          tags: moreTags,
          concurrency: this.pushConcurrency,
          ...(this.signal ? { signal: this.signal } : {}),
        },
      );
    } catch (err) {
      this.failed(err, { ...event, tag: record.tag }, 'write-failed');
      return layer;
    }
    this.emit({ ...event, tag: record.tag, result: 'stored' });
    return Object.freeze({ ...layer, source: { registry: this.repo.registry, repository: this.repo.repository } });
  }

  private failed(err: unknown, event: EventBase, result: 'read-failed' | 'write-failed'): void {
    // An abort is the caller's decision, not a cache failure: it ends the call as everywhere.
    if (this.signal?.aborted) throw err;
    this.failedOnce = true;
    // Registry errors are scrubbed of credentials by the session before they get here.
    const reason = isTskoError(err) ? `${err.code}: ${err.message}` : 'an unexpected error';
    this.emit({ ...event, result, reason: reason.slice(0, 500) });
  }
}
