import { TskoError } from './errors.js';
import { isDigest, type Digest } from './digest.js';
import { checkReferenceParts, DOMAIN_RE, PATH_COMPONENT_RE, TAG_RE } from './names.js';

/**
 * A parsed image reference, normalised as docker does: `nginx` is
 * `docker.io/library/nginx:latest`.
 */
export interface Reference {
  /** Registry host (and port) as written by users, e.g. `docker.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const DEFAULT_REGISTRY = 'docker.io';
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const MAX_NAME = 255;

function invalid(input: string, why: string): TskoError {
  return new TskoError('TSKO_INVALID_REFERENCE', `Invalid image reference "${input.slice(0, 300)}": ${why}.`, {
    details: { reference: input.slice(0, 300) },
  });
}

/**
 * Parses an image reference with docker's normalisation rules. The first path component is a
 * registry if it contains `.` or `:`, is `localhost`, or has upper-case letters; otherwise the
 * registry is `docker.io` and single-component names gain `library/`.
 */
export function parseReference(input: string): Reference {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), 'it is empty');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
  if (input !== input.trim() || /[\s\x00-\x1f\x7f]/.test(input))
    throw invalid(input, 'it contains white space or control characters');
  if (input.includes('://')) throw invalid(input, 'a reference has no scheme; drop the "…://" prefix');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw invalid(input, `"${d.slice(0, 80)}" is not a digest (expected sha256:<64 lowercase hex>)`);
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag))
      throw invalid(input, `tag "${tag.slice(0, 80)}" must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  if (rest.length === 0) throw invalid(input, 'the repository name is missing');

  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      path = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN_RE.test(registry)) throw invalid(input, `"${registry}" is not a valid registry host[:port]`);
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;

  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      if (component.toLowerCase() !== component && PATH_COMPONENT_RE.test(component.toLowerCase())) {
        throw invalid(input, 'repository names must be lowercase');
      }
      throw invalid(
        input,
        `path component "${component.slice(0, 80)}" must be lowercase letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
  const name = `${registry}/${path}`;
  if (name.length > MAX_NAME) throw invalid(input, `the name is ${name.length} characters, the limit is ${MAX_NAME}`);

  const ref: { registry: string; repository: string; tag?: string; digest?: Digest } = { registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/**
 * Parses a repository (no tag, no digest), e.g. a `KO_DOCKER_REPO` value. `ko.local` and
 * similar pseudo-registries are valid here.
 */
export function parseRepository(input: string): Reference {
  const ref = parseReference(input);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw invalid(input, 'a repository must not carry a tag or digest');
  }
  return ref;
}

/** `registry/repository` of a reference. */
export function referenceName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Full string form: `registry/repo[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  let s = referenceName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** The tag, or digest, or `latest` when the reference has neither: what to GET. */
/**
 * A reference string parsed, or a Reference object checked: its parts go into URLs, and an
 * object did not pass the parser.
 */
export function toReference(ref: string | Reference): Reference {
  if (typeof ref === 'string') return parseReference(ref);
  checkReferenceParts(ref);
  return ref;
}

export function referenceIdentifier(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** A copy of `ref` pointing at another tag or digest in the same repository. */
export function withIdentifier(ref: Reference, id: { tag?: string; digest?: Digest }): Reference {
  const out: { registry: string; repository: string; tag?: string; digest?: Digest } = {
    registry: ref.registry,
    repository: ref.repository,
  };
  if (id.tag !== undefined) out.tag = id.tag;
  if (id.digest !== undefined) out.digest = id.digest;
  return out;
}

/** The host the distribution API is served from (Docker Hub's API lives on registry-1). */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/** True for loopback hosts, where plain HTTP is allowed without opt-in. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0]!;
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
