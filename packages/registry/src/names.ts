import { isDigest, type Digest } from './digest.js';
import { TskoError } from './errors.js';

/**
 * The distribution grammar for the parts of a name that end up in a URL path: a tag, a digest
 * and the repository's path components. Anything a caller, a `.ko.yaml` or a registry hands us
 * is checked here before it becomes part of `/v2/<name>/manifests/<reference>`, so `..`, `/`,
 * `%2e` and friends can never move a request into another repository.
 */
export const TAG_RE = /^[\w][\w.-]{0,127}$/;
export const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
/** A registry `host[:port]` (DNS name, IPv4 or bracketed IPv6). */
export const DOMAIN_RE = new RegExp(
  `^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
/** Longest repository path we send (distribution's limit is 255 for registry + path). */
const MAX_REPOSITORY = 255;

function show(value: unknown): string {
  return JSON.stringify(String(value).slice(0, 140));
}

function invalid(what: string, value: unknown, why: string): TskoError {
  return new TskoError('TSKO_INVALID_REFERENCE', `Invalid ${what} ${show(value)}: ${why}.`, {
    details: { field: what, value: String(value).slice(0, 300) },
  });
}

/** A tag as the distribution spec allows it: 1-128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`. */
export function parseTag(value: unknown, what = 'tag'): string {
  if (typeof value !== 'string' || !TAG_RE.test(value)) {
    throw invalid(what, value, 'a tag is 1-128 characters of [A-Za-z0-9_.-] and does not start with "." or "-"');
  }
  return value;
}

/** A digest that may go into a URL or a file path: `sha256:<64 hex>` or `sha512:<128 hex>`, lowercase. */
export function parseDigestReference(value: unknown, what = 'digest'): Digest {
  if (typeof value !== 'string' || !isDigest(value)) {
    throw invalid(what, value, 'expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>');
  }
  return value;
}

/** A tag or a digest: what follows `/manifests/` in a URL. */
export function parseManifestIdentifier(value: unknown, what = 'tag or digest'): string {
  if (typeof value === 'string' && value.includes(':')) return parseDigestReference(value, what);
  return parseTag(value, what);
}

/** A repository path inside a registry (`team/app`): lowercase components joined by `/`. */
export function parseRepositoryPath(value: unknown, what = 'repository'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(what, value, 'it is empty');
  if (value.length > MAX_REPOSITORY)
    throw invalid(what, value, `it is ${value.length} characters, the limit is ${MAX_REPOSITORY}`);
  for (const component of value.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw invalid(
        what,
        value,
        `path component ${show(component)} must be lowercase letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
  return value;
}

const API_PATH_RE = /^\/v2\/(.+)\/(?:(manifests|blobs|referrers)\/([^/]*)|blobs\/uploads\/)$/;

/**
 * Checks a distribution API path we are about to send (`/v2/<name>/manifests/<ref>`,
 * `/v2/<name>/blobs/<digest>`, `/v2/<name>/blobs/uploads/`, `/v2/<name>/referrers/<digest>`) before it is turned into a URL,
 * which would resolve `..` segments. The last line of defence: callers validate earlier with
 * better context, but no path that fails the grammar is ever sent.
 */
export function checkApiPath(path: string): void {
  if (path === '/v2/') return; // the version check, e.g. an authenticated ping
  const m = API_PATH_RE.exec(path);
  if (!m)
    throw new TskoError(
      'TSKO_INVALID_REFERENCE',
      `Refusing to send a request for ${show(path)}: it is not a distribution API path.`,
    );
  parseRepositoryPath(m[1]);
  if (m[2] === 'manifests') parseManifestIdentifier(m[3]);
  else if (m[2]) parseDigestReference(m[3]);
}

/**
 * Checks a reference given as an object (not parsed from a string), whose parts may come from
 * anywhere: its registry host, repository, tag and digest must each pass the grammar.
 */
export function checkReferenceParts(ref: {
  registry: string;
  repository: string;
  tag?: string | undefined;
  digest?: string | undefined;
}): void {
  if (typeof ref !== 'object' || ref === null) {
    throw new TskoError(
      'TSKO_INVALID_REFERENCE',
      `An image reference must be a string or a parsed Reference; got ${ref === null ? 'null' : typeof ref} (${show(String(ref))}).`,
    );
  }
  if (typeof ref.registry !== 'string' || !DOMAIN_RE.test(ref.registry))
    throw invalid('registry', ref.registry, 'expected host[:port]');
  parseRepositoryPath(ref.repository);
  if (ref.tag !== undefined) parseTag(ref.tag);
  if (ref.digest !== undefined) parseDigestReference(ref.digest);
}
