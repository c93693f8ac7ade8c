import { platformMatches, TskoError, type Platform } from '@tsko/registry';

/**
 * A platform as ko's `--platform` / `defaultPlatforms` take it: `os[/arch[/variant]][:osversion]`.
 * Left-out parts match anything (ko's platformMatcher), so `linux` picks every Linux image of
 * a base index.
 */
export interface PlatformSpec {
  os: string;
  architecture?: string;
  variant?: string;
  osVersion?: string;
}

const PART = /^[a-z0-9_.-]+$/i;

/** Parses one spec; `where` names the option, variable or file field for errors. */
export function parsePlatformSpec(text: string, where: string): PlatformSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const main = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const osVersion = colon === -1 ? undefined : trimmed.slice(colon + 1);
  const parts = main.split('/');
  if (
    parts.length > 3 ||
    parts.some((p) => !PART.test(p)) ||
    (osVersion !== undefined && !/^[a-z0-9_.-]+$/i.test(osVersion))
  ) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${where}: "${text.slice(0, 80)}" is not a platform (os[/arch[/variant]], e.g. linux, linux/amd64, linux/arm/v7).`,
      { details: { field: where } },
    );
  }
  const spec: PlatformSpec = { os: parts[0]! };
  if (parts[1]) spec.architecture = parts[1];
  if (parts[2]) spec.variant = parts[2];
  if (osVersion) spec.osVersion = osVersion;
  return spec;
}

/**
 * A list of specs, or `'all'`. As ko, a single entry may hold several specs separated by
 * commas (`KO_DEFAULTPLATFORMS=linux/amd64,linux/arm64`), and `all` cannot be mixed with others.
 */
export function parsePlatformList(list: readonly string[], where: string): 'all' | PlatformSpec[] {
  const items = list.flatMap((p) => p.split(/[\s,]+/)).filter(Boolean);
  if (items.length === 1 && items[0] === 'all') return 'all';
  if (items.includes('all')) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${where}: use either "all" or a list of platforms, not both (${items.join(', ')}).`,
      { details: { field: where } },
    );
  }
  if (items.length === 0)
    throw new TskoError('TSKO_CONFIG_INVALID', `${where}: no platform given.`, { details: { field: where } });
  return items.map((p) => parsePlatformSpec(p, where));
}

/** Whether `spec` selects `candidate`; a spec with architecture (and variant) defers to the registry's rule. */
export function specMatches(spec: PlatformSpec, candidate: Platform): boolean {
  // Attestation manifests (unknown/unknown) never match, not even `all` (see base-image.ts).
  if (spec.os !== candidate.os) return false;
  if (spec.osVersion && spec.osVersion !== candidate['os.version'] && !windowsBuildMatches(spec, candidate))
    return false;
  if (!spec.architecture) return true;
  const wanted: Platform = { os: spec.os, architecture: spec.architecture };
  if (spec.variant) wanted.variant = spec.variant;
  return platformMatches(wanted, candidate);
}

/**
 * Windows bases carry an incrementing build number in os.version (X.Y.Z.B); as ko does, a
 * wanted X.Y.Z matches any build of it, on Windows only.
 */
function windowsBuildMatches(spec: PlatformSpec, candidate: Platform): boolean {
  const have = candidate['os.version'] ?? '';
  if (spec.os !== 'windows' || spec.osVersion!.split('.').length !== 3 || have.split('.').length !== 4) return false;
  return have.slice(0, have.lastIndexOf('.')) === spec.osVersion;
}

/** The full platform a spec names; scratch builds need one, since there is no base to choose from. */
export function fullPlatform(spec: PlatformSpec, why: string): Platform {
  if (!spec.architecture) {
    throw new TskoError(
      'TSKO_PLATFORM_NOT_FOUND',
      `Platform "${formatSpec(spec)}" names no architecture, so it can only select from a base index; ${why}. Name it as os/arch (e.g. ${spec.os}/amd64).`,
    );
  }
  const p: Platform = { os: spec.os, architecture: spec.architecture };
  if (spec.variant) p.variant = spec.variant;
  if (spec.osVersion) p['os.version'] = spec.osVersion;
  return p;
}

export function formatSpec(spec: PlatformSpec): string {
  const base = [spec.os, spec.architecture, spec.variant].filter(Boolean).join('/');
  return spec.osVersion ? `${base}:${spec.osVersion}` : base;
}
