import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { canonicalJsonBytes } from '../canonical-json.js';
import { sha256, type Digest } from '../digest.js';
import { guarded } from '../error-wrapping.js';
import { isTskoError, TskoError } from '../errors.js';
import { emit } from '../events.js';
import { layerDescriptor, streamLayer, type Layer } from '../layer.js';
import { MediaType } from '../media-types.js';
import { checkReferenceParts, parseTag } from '../names.js';
import { parseReference, referenceIdentifier, referenceName, type Reference } from '../reference.js';
import { imageManifestSchema, parseJson, type Descriptor, type ImageManifest } from '../schemas.js';
import type { RegistryOptions } from '../client/registry-client.js';
import { sessionFor, type RegistrySession } from '../client/session.js';
import { pushBlob, type PushOptions } from './push.js';

/**
 * An OCI artifact to push: a document of its own media type as the manifest's config (the
 * OCI 1.1 way of naming an artifact's kind without `artifactType`, which registries before
 * 1.1, distribution 2.8 among them, accept as they accept Helm charts) and opaque layers.
 */
export interface ArtifactContent {
  /** The config's media type, e.g. `application/vnd.example.record.v1+json`. */
  configMediaType: string;
  config: Uint8Array;
  layers: readonly Layer[];
  annotations?: Record<string, string>;
}

/** An artifact read back: its manifest, its verified config, and its layers as lazy layers. */
export interface PulledArtifact {
  digest: Digest;
  manifest: ImageManifest;
  config: Buffer;
  /**
   * One of the manifest's layers as a `Layer` whose bytes are fetched (and digest-verified)
   * when opened, and whose `source` lets a push to the same registry mount it. The diffId is
   * the caller's: an artifact's manifest does not carry one.
   */
  layer(descriptor: Descriptor, diffId: Digest): Layer;
}

function target(ref: string | Reference): Reference {
  if (typeof ref === 'string') return parseReference(ref);
  checkReferenceParts(ref);
  return ref;
}

/**
 * Pushes an artifact under the reference's tag and `options.tags`: its blobs first (HEAD,
 * mount, upload, as `pushImage`), then the manifest. Returns the manifest's digest.
 */
export function pushArtifact(
  ref: string | Reference,
  content: ArtifactContent,
  options: Omit<PushOptions, 'tags'> & { tags?: readonly string[] } = {},
): Promise<Digest> {
  return guarded('pushArtifact', async () => {
    const to = target(ref);
    const tags = [
      ...new Set([...(to.tag ? [to.tag] : []), ...(options.tags ?? []).map((t, i) => parseTag(t, `tags[${i}]`))]),
    ];
    if (!tags.length) throw new TskoError('TSKO_INVALID_ARGUMENT', `pushArtifact to ${referenceName(to)} needs a tag.`);
    const config = Buffer.from(content.config);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: content.configMediaType, digest: sha256(config), size: config.length },
      layers: content.layers.map(layerDescriptor),
    };
    if (content.annotations && Object.keys(content.annotations).length) manifest.annotations = content.annotations;
    const raw = canonicalJsonBytes(manifest);
    const client = sessionFor(options).client(to.registry);
    const limit = pLimit(Math.max(1, options.concurrency ?? 4));
    const configBlob = {
      digest: manifest.config.digest,
      size: config.length,
      open: async () => Readable.from([config]),
    };
    await Promise.all(
      [configBlob, ...content.layers].map((blob) => limit(() => pushBlob(client, to.repository, blob, options))),
    );
    for (const tag of tags) {
      options.signal?.throwIfAborted();
      await client.putManifest(to.repository, tag, raw, MediaType.OCI_MANIFEST);
      emit(options.onEvent, {
        type: 'manifest:pushed',
        reference: `${referenceName(to)}:${tag}`,
        digest: sha256(raw),
        mediaType: MediaType.OCI_MANIFEST,
      });
    }
    return sha256(raw);
  });
}

/**
 * Reads an artifact whose config has `configMediaType`: the manifest and the config are
 * digest-verified, layers stay in the registry until opened. Returns undefined when the tag
 * or digest does not exist; an artifact of another kind is `TSKO_UNSUPPORTED_MEDIA_TYPE`.
 */
export function pullArtifact(
  ref: string | Reference,
  options: RegistryOptions & { session?: RegistrySession; configMediaType: string; configLimit?: number },
): Promise<PulledArtifact | undefined> {
  return guarded('pullArtifact', async () => {
    const from = target(ref);
    const client = sessionFor(options).client(from.registry);
    const name = `${referenceName(from)}:${referenceIdentifier(from)}`;
    let fetched: Awaited<ReturnType<typeof client.getManifest>>;
    try {
      fetched = await client.getManifest(from.repository, referenceIdentifier(from), MediaType.OCI_MANIFEST);
    } catch (err) {
      if (isTskoError(err, 'TSKO_NOT_FOUND')) return undefined;
      throw err;
    }
    const manifest = parseJson(imageManifestSchema, fetched.raw, `Artifact ${name} manifest`);
    if (manifest.config.mediaType !== options.configMediaType) {
      throw new TskoError(
        'TSKO_UNSUPPORTED_MEDIA_TYPE',
        `${name} is a "${manifest.config.mediaType.slice(0, 100)}" artifact, not a "${options.configMediaType}".`,
        { details: { mediaType: manifest.config.mediaType.slice(0, 100) } },
      );
    }
    const config = await client.getSmallBlob(from.repository, manifest.config.digest, options.configLimit);
    const source = { registry: from.registry, repository: from.repository };
    return {
      digest: fetched.digest,
      manifest,
      config,
      layer: (d, diffId) =>
        streamLayer({ digest: d.digest, diffId, size: d.size, mediaType: d.mediaType, source }, () =>
          client.getBlob(from.repository, d.digest, d.size),
        ),
    };
  });
}
