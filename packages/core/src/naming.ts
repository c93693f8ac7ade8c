import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseRepository, TskoError, type Digest } from '@tsko/registry';

/** A registry alone (`host[:port]`), which ko accepts as a repo (go-containerregistry's NewRegistry). */
const REGISTRY_ONLY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:]+\])(?::\d+)?$/;

export type NamingStrategy = 'md5' | 'preserveImportPaths' | 'baseImportPaths' | 'bare';

/**
 * The repository an import path is published to, as ko names it:
 * - `md5` (default): `<repo>/<last element>-<md5 hex of the import path>`
 * - `preserveImportPaths`: `<repo>/<import path>`
 * - `baseImportPaths`: `<repo>/<last element>`
 * - `bare`: `<repo>`
 * The import path is lower-cased first, before hashing too, because ko does so
 * (go-containerregistry#212: repositories are lowercase), so `github.com/GoogleCloudPlatform/x`
 * lands where ko puts it. The repo itself is used as given (see `checkRepo`). An empty repo
 * (push: false without one) gives the bare name, as ko's `path.Join("", name)` does.
 */
export function imageRepository(repo: string, importPath: string, strategy: NamingStrategy = 'md5'): string {
  const path = importPath.toLowerCase();
  const last = posix.basename(path);
  let name: string;
  switch (strategy) {
    case 'bare':
      return repo;
    case 'preserveImportPaths':
      name = path;
      break;
    case 'baseImportPaths':
      name = last;
      break;
    case 'md5':
      name = `${last}-${createHash('md5').update(path).digest('hex')}`;
      break;
    default:
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `Unknown naming strategy "${String(strategy).slice(0, 60)}": use md5, preserveImportPaths, baseImportPaths or bare.`,
        { details: { field: 'naming' } },
      );
  }
  const base = repo.replace(/\/+$/, '');
  return base ? `${base}/${name}` : name;
}

/**
 * Refuses a target repository ko refuses: it must be a registry (`host[:port]`, any case, as
 * DNS is) or a repository whose path is lowercase (`registry.example.com/team`). ko checks
 * this before building; so do we, naming where the value came from.
 */
export function checkRepo(repo: string, source: string): void {
  // A trailing slash is fine: names are joined as paths (ko's path.Join).
  const trimmed = repo.replace(/\/+$/, '');
  if (REGISTRY_ONLY.test(trimmed)) return;
  try {
    parseRepository(trimmed);
  } catch (cause) {
    const lower = repo.toLowerCase();
    const hint =
      lower !== repo
        ? ` Repository paths must be lowercase (ko refuses this too); use ${JSON.stringify(lower.slice(0, 200))}.`
        : ' Use registry.example.com/team or host:port.';
    throw new TskoError(
      'TSKO_INVALID_REFERENCE',
      `${source}=${JSON.stringify(repo.slice(0, 200))} is not a repository.${hint}`,
      { cause, details: { field: source } },
    );
  }
}

/** ko's printed reference for an image pushed to a registry (or a tarball). */
export function formatPublishedRef(
  repository: string,
  digest: Digest,
  tags: readonly string[],
  tagOnly: boolean,
): string {
  if (tagOnly) return `${repository}:${tags[0]}`;
  if (tags.length === 1 && tags[0] !== 'latest') return `${repository}:${tags[0]}@${digest}`;
  return `${repository}@${digest}`;
}

/**
 * ko's reference for a build that is not pushed anywhere (`--push=false`): the first tag is
 * always kept, `latest` included (`name:latest@sha256:…`), unlike a pushed reference.
 */
export function formatUnpushedRef(
  repository: string,
  digest: Digest,
  tags: readonly string[],
  tagOnly: boolean,
): string {
  if (tagOnly) return `${repository}:${tags[0]}`;
  return tags.length ? `${repository}:${tags[0]}@${digest}` : `${repository}@${digest}`;
}

/** A daemon keeps no manifest digests: ko.local images are named by a tag of the digest's hex. */
export function formatDaemonRef(repository: string, digest: Digest): string {
  return `${repository}:${digest.slice(digest.indexOf(':') + 1)}`;
}
