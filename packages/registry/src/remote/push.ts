import { asTskoError, guarded } from '../error-wrapping.js';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { Digest } from '../digest.js';
import { isTskoError, TskoError } from '../errors.js';
import { emit } from '../events.js';
import { isImage, type Image } from '../image.js';
import { isImageIndex, type ImageIndex } from '../image-index.js';
import { isForeignLayer, type BlobSource } from '../layer.js';
import { formatReference, referenceName, toReference, withIdentifier, type Reference } from '../reference.js';
import { parseTag } from '../names.js';
import type { RegistryClient, RegistryOptions } from '../client/registry-client.js';
import { sessionFor, type RegistrySession } from '../client/session.js';

export interface PushOptions extends RegistryOptions {
  /** Extra tags to point at the pushed manifest, besides the reference's own tag. */
  tags?: readonly string[];
  /** Blob operations in flight at once (default 4). */
  concurrency?: number;
  session?: RegistrySession;
  /**
   * What the caller's own `headManifest` just found under some of the names this push writes
   * (a tag, or the digest for a push by digest): the digest each holds, or undefined when it
   * is absent. Those names are not asked again.
   */
  headed?: ReadonlyMap<string, Digest | undefined>;
}

export interface PushResult {
  /** Digest-pinned reference: `registry/repo@sha256:…`. */
  ref: string;
  digest: Digest;
  mediaType: string;
  /** Tags that now point at the manifest. */
  tags: string[];
}

/** A blob to push: identity, where it may already live, and its bytes. */
export interface Blob {
  digest: Digest;
  size: number;
  source?: BlobSource;
  open: (signal?: AbortSignal) => Promise<Readable>;
}

/**
 * Pushes an image or index: a HEAD of the manifest under each name first, unless the caller
 * already did (`headed`); a name that already holds it is left alone; if any does, so are the
 * blobs; else every blob (HEAD, then
 * cross-repository mount, then upload), with bounded concurrency; then child manifests by
 * digest; then the top manifest under the reference's tag (or by digest if it has none) and
 * each extra tag. A manifest is only PUT once every blob it names is confirmed present.
 */
export async function pushImage(
  image: Image | ImageIndex,
  ref: string | Reference,
  options: PushOptions = {},
): Promise<PushResult> {
  return guarded('pushImage', () => pushImageUnguarded(image, ref, options));
}

async function pushImageUnguarded(
  image: Image | ImageIndex,
  ref: string | Reference,
  options: PushOptions,
): Promise<PushResult> {
  // Every name is checked before anything is sent, so a bad extra tag writes nothing at all
  // (a tag such as "../../../prod/app/manifests/latest" would otherwise land in another repository).
  const target = toReference(ref);
  const extraTags = (options.tags ?? []).map((t, i) => parseTag(t, `tags[${i}]`));
  if (!isImage(image) && !isImageIndex(image)) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `pushImage to ${formatReference(target)} needs an Image or ImageIndex as its first argument; got ${describeArgument(image)}.`,
    );
  }
  if (target.digest && target.digest !== image.digest) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `Cannot push ${image.digest} to ${formatReference(target)}: the reference pins a different digest.`,
    );
  }
  const session = sessionFor(options);
  const client = session.client(target.registry);
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const blobs = new Map<Digest, Promise<void>>();
  const manifests = new Map<Digest, Promise<void>>();
  const repository = target.repository;

  const ensureBlob = (blob: Blob): Promise<void> => {
    let p = blobs.get(blob.digest);
    if (!p) {
      p = limit(() => pushBlob(client, repository, blob, options));
      blobs.set(blob.digest, p);
    }
    return p;
  };

  const pushTree = (node: Image | ImageIndex, identifier: string | undefined): Promise<void> => {
    const key = node.digest;
    const known = identifier === undefined ? manifests.get(key) : undefined;
    if (known) return known;
    const p = (async () => {
      if (node.kind === 'image') {
        const config: Blob = {
          digest: node.manifest.config.digest,
          size: node.rawConfig.length,
          open: async () => Readable.from([node.rawConfig]),
        };
        if (node.source) config.source = node.source;
        const layers = node.layers.filter((l) => !isForeignLayer(l));
        await Promise.all([ensureBlob(config), ...layers.map((l) => ensureBlob(l))]);
      } else {
        await Promise.all(node.children.map((c) => pushTree(c.image, undefined)));
      }
      options.signal?.throwIfAborted();
      await client.putManifest(repository, identifier ?? node.digest, node.rawManifest, node.mediaType);
      emit(options.onEvent, {
        type: 'manifest:pushed',
        reference: `${referenceName(target)}${identifier && !identifier.includes(':') ? `:${identifier}` : `@${node.digest}`}`,
        digest: node.digest,
        mediaType: node.mediaType,
      });
    })();
    if (identifier === undefined) manifests.set(key, p);
    return p;
  };

  const tags = [...new Set([...(target.tag ? [target.tag] : []), ...extraTags])];
  const putTag = async (tag: string) => {
    await client.putManifest(repository, tag, image.rawManifest, image.mediaType);
    emit(options.onEvent, {
      type: 'manifest:pushed',
      reference: `${referenceName(target)}:${tag}`,
      digest: image.digest,
      mediaType: image.mediaType,
    });
  };
  try {
    // Each name the manifest goes under is asked first, as go-containerregistry's remote.Write
    // does. A registry that holds the manifest holds its blobs and child manifests too
    // (distribution refuses a manifest naming anything missing), so when any name already
    // has it, only the names that point elsewhere are written: a republish is HEADs only.
    const names = tags.length ? tags : [image.digest];
    const present = await Promise.all(
      names.map((name) =>
        options.headed?.has(name)
          ? options.headed.get(name) === image.digest
          : manifestPresent(client, repository, name, image.digest),
      ),
    );
    names.forEach((name, i) => {
      if (!present[i]) return;
      const reference = formatReference(withIdentifier(target, tags.length ? { tag: name } : { digest: image.digest }));
      emit(options.onEvent, { type: 'manifest:skipped', reference, digest: image.digest, mediaType: image.mediaType });
    });
    options.signal?.throwIfAborted();
    if (present.some(Boolean)) {
      for (const [i, tag] of tags.entries()) if (!present[i]) await putTag(tag);
    } else {
      await pushTree(image, tags[0]);
      for (const tag of tags.slice(1)) await putTag(tag);
    }
  } catch (err) {
    if (options.signal?.aborted && !(err instanceof TskoError && err.code === 'TSKO_ABORTED')) {
      throw new TskoError('TSKO_ABORTED', 'The push was aborted by its AbortSignal.', { cause: err });
    }
    // A layer that cannot be read (a deleted cache file, say) names its path; nothing raw
    // leaves the SDK.
    throw asTskoError(err, `Pushing ${formatReference(target)}`);
  }
  return {
    ref: formatReference(withIdentifier(target, { digest: image.digest })),
    digest: image.digest,
    mediaType: image.mediaType,
    tags,
  };
}

/** Whether `name` (a tag or digest) in the repository is this manifest, asked with push scope for the push that may follow. */
async function manifestPresent(
  client: RegistryClient,
  repository: string,
  name: string,
  digest: Digest,
): Promise<boolean> {
  try {
    return (await client.headManifest(repository, name, ['pull', 'push']))?.digest === digest;
  } catch (err) {
    // Some registries answer 403 for a manifest that is not there (Artifactory, RTFACT-13797),
    // and go-containerregistry takes it as absent too: the writes that follow say whether
    // this push is allowed, with their own message.
    if (isTskoError(err, 'TSKO_DENIED') && err.status === 403) return false;
    throw err;
  }
}

/**
 * One blob into `repository`: nothing when it is there, a cross-repository mount when its
 * source is another repository of the same registry, else an upload.
 */
export async function pushBlob(
  client: RegistryClient,
  repository: string,
  blob: Blob,
  options: PushOptions,
): Promise<void> {
  options.signal?.throwIfAborted();
  if (await client.hasBlob(repository, blob.digest, ['pull', 'push'])) {
    emit(options.onEvent, { type: 'blob:skipped', repository, digest: blob.digest, size: blob.size });
    return;
  }
  let session: URL | undefined;
  if (blob.source && blob.source.registry === client.registry && blob.source.repository !== repository) {
    const mounted = await client.mountBlob(repository, blob.digest, blob.source.repository);
    if (mounted === true) {
      emit(options.onEvent, {
        type: 'blob:mounted',
        repository,
        from: blob.source.repository,
        digest: blob.digest,
        size: blob.size,
      });
      return;
    }
    session = mounted;
  }
  await client.uploadBlob(repository, blob, session);
  emit(options.onEvent, { type: 'blob:done', repository, digest: blob.digest, size: blob.size });
}

function describeArgument(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === null ? 'null' : typeof value;
  const kind = (value as { kind?: unknown }).kind;
  // A lazy index (from pull or readOciLayout) names children it has not loaded; pushing needs them all.
  if (kind === 'lazy-index') return 'a LazyIndex (load its children with index.image(...) and build an ImageIndex)';
  return typeof kind === 'string' ? `an object of kind "${kind}"` : 'an object';
}
