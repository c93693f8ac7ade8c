import { TskoError } from './errors.js';
import type { Platform } from './schemas.js';

export type { Platform };

/**
 * Parses `os/arch[/variant][:osversion]`, e.g. `linux/arm64/v8`. The literal `all` is handled
 * by callers, since its meaning depends on the base image.
 */
export function parsePlatform(text: string): Platform {
  if (typeof text !== 'string') {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `Invalid platform ${describeValue(text)}: expected a string os/arch[/variant], e.g. linux/amd64.`,
    );
  }
  const [main = '', osVersion] = text.split(':', 2);
  const parts = main.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `Invalid platform "${text}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7.`,
    );
  }
  const platform: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2]) platform.variant = parts[2];
  if (osVersion) platform['os.version'] = osVersion;
  return platform;
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  let text: string;
  try {
    text = typeof value === 'object' ? (JSON.stringify(value) ?? String(value)) : String(value);
  } catch {
    text = '(not serialisable)';
  }
  return `${typeof value} ${text.slice(0, 80)}`;
}

/** `linux/arm64/v8` style text for a platform. */
export function formatPlatform(p: Platform): string {
  const base = [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  return p['os.version'] ? `${base}:${p['os.version']}` : base;
}

/**
 * Whether `candidate` satisfies `wanted`: os and architecture must be equal; a wanted variant
 * must be equal (arm64's `v8` is the default and matches an absent variant); a wanted os.version
 * must be equal.
 */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  if (wanted.variant && normVariant(wanted) !== normVariant(candidate)) return false;
  if (wanted['os.version'] && wanted['os.version'] !== candidate['os.version']) return false;
  return true;
}

function normVariant(p: Platform): string | undefined {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8')) return 'v8';
  return p.variant;
}

/** Attestation manifests (BuildKit provenance, SBOMs) are listed with platform unknown/unknown. */
export function isAttestationPlatform(p: Platform | undefined): boolean {
  return p?.os === 'unknown' && p.architecture === 'unknown';
}

/** The platform Node is running on, in OCI terms. */
export function hostPlatform(): Platform {
  const archMap: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return {
    os: process.platform === 'win32' ? 'windows' : process.platform,
    architecture: archMap[process.arch] ?? process.arch,
  };
}
