import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_REGISTRY,
  emptyImage,
  isAttestationPlatform,
  isImageManifestMediaType,
  MediaType,
  parseReference,
  pull,
  type Descriptor,
  type Digest,
  type Image,
  type Platform,
  type Reference,
  type RegistrySession,
} from '@tsko/registry';
import { readOciLayout } from '../sinks/oci-layout.js';

/** One platform a base offers, loaded on demand. */
export interface BasePlatform {
  platform: Platform;
  descriptor?: Descriptor;
  load(): Promise<Image>;
}

/**
 * A base image as the builder needs it: either one image, or an index whose platform
 * entries load lazily. `name` and the per-image digest feed the OCI base annotations.
 */
export type ResolvedBase =
  | { kind: 'image'; name: string; image: Image }
  | {
      kind: 'index';
      name: string;
      digest: Digest;
      mediaType: string;
      annotations?: Record<string, string>;
      platforms: BasePlatform[];
    }
  | { kind: 'scratch'; name: 'scratch' };

export const SCRATCH = 'scratch';
export const LAYOUT_PREFIX = 'oci-layout://';

/** Splits `oci-layout://PATH[:tag]` (a tag is what follows the last colon after the last slash). */
export function parseLayoutBase(spec: string, dir: string): { path: string; tag?: string } {
  const rest = spec.slice(LAYOUT_PREFIX.length);
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const path = colon > slash ? rest.slice(0, colon) : rest;
  const tag = colon > slash ? rest.slice(colon + 1) : undefined;
  const abs = isAbsolute(path) ? path : resolve(dir, path);
  return tag ? { path: abs, tag } : { path: abs };
}

/**
 * Resolves a base image spec: `scratch`, `oci-layout://PATH[:tag]`, or a registry reference
 * (pulled through `session`; its layers stay in the registry and are mounted, not copied).
 */
export async function resolveBase(
  spec: string,
  options: { dir: string; session: RegistrySession },
): Promise<ResolvedBase> {
  if (spec === SCRATCH) return { kind: 'scratch', name: SCRATCH };
  if (spec.startsWith(LAYOUT_PREFIX)) {
    const { path, tag } = parseLayoutBase(spec, options.dir);
    const entry = await readOciLayout(path, tag);
    if (entry.kind === 'image') return { kind: 'image', name: spec, image: entry.image };
    const result: ResolvedBase = {
      kind: 'index',
      name: spec,
      digest: entry.descriptor.digest,
      mediaType: entry.descriptor.mediaType,
      platforms: indexPlatforms(entry.manifest.manifests, (d) => entry.load(d)),
    };
    if (entry.manifest.annotations) result.annotations = entry.manifest.annotations;
    return result;
  }
  const ref = parseReference(spec);
  const pulled = await pull(ref, { session: options.session });
  const name = baseImageName(ref);
  if (pulled.kind === 'image') return { kind: 'image', name, image: pulled.image };
  const index = pulled.index;
  const result: ResolvedBase = {
    kind: 'index',
    name,
    digest: index.digest,
    mediaType: index.mediaType,
    platforms: indexPlatforms(index.manifest.manifests, (d) => index.image(d)),
  };
  if (index.manifest.annotations) result.annotations = index.manifest.annotations;
  return result;
}

/**
 * The base's name as ko records it (go-containerregistry's Reference.Name()): fully
 * qualified, Docker Hub as `index.docker.io`, the tag made explicit (`:latest`), and a digest
 * winning over a tag (`name:tag@sha256:…` is named `name@sha256:…`).
 */
export function baseImageName(ref: Reference): string {
  const registry = ref.registry === DEFAULT_REGISTRY ? 'index.docker.io' : ref.registry;
  const repository = `${registry}/${ref.repository}`;
  return ref.digest ? `${repository}@${ref.digest}` : `${repository}:${ref.tag ?? 'latest'}`;
}

function indexPlatforms(manifests: readonly Descriptor[], load: (d: Descriptor) => Promise<Image>): BasePlatform[] {
  return manifests
    .filter((d) => d.platform && !isAttestationPlatform(d.platform) && isImageManifestMediaType(d.mediaType))
    .map((d) => ({ platform: d.platform!, descriptor: d, load: () => load(d) }));
}

/** The `scratch` base for a platform: an empty OCI image. */
export function scratchImage(platform: Platform): Image {
  return emptyImage(platform, MediaType.OCI_MANIFEST);
}
