import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_REGISTRY,
  emptyImage,
  MediaType,
  parseReference,
  pull,
  readOciLayout,
  type Image,
  type LazyIndex,
  type Platform,
  type Reference,
  type RegistrySession,
} from '@tsko/registry';

/**
 * A base image as the builder needs it: `scratch`, or an image or lazy index (from a registry
 * or a layout, the same type either way) under the name that feeds the OCI base annotations.
 */
export type ResolvedBase =
  | { readonly kind: 'base'; readonly name: string; readonly node: Image | LazyIndex }
  | { readonly kind: 'scratch'; readonly name: 'scratch' };

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
    return { kind: 'base', name: spec, node: await readOciLayout(path, tag) };
  }
  const ref = parseReference(spec);
  return { kind: 'base', name: baseImageName(ref), node: await pull(ref, { session: options.session }) };
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

/** The `scratch` base for a platform: an empty OCI image. */
export function scratchImage(platform: Platform): Image {
  return emptyImage(platform, MediaType.OCI_MANIFEST);
}
