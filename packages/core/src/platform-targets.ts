import { formatPlatform, TskoError, type Descriptor, type Digest, type Image, type Platform } from '@tsko/registry';
import { formatSpec, fullPlatform, specMatches } from './config/platform-spec.js';
import type { Settings } from './config/settings.js';
import { scratchImage, type ResolvedBase } from './image/base-image.js';

/** One platform image to build: its platform and how to load the base image for it. */
export interface PlatformTarget {
  platform: Platform;
  load(): Promise<Image>;
  descriptor?: Descriptor;
  baseDigest?: (image: Image) => Digest;
}

/** Which base images to build on, in the base's order (ko's platform matching). */
export function targetsFor(base: ResolvedBase, settings: Settings, importPath: string): PlatformTarget[] {
  const wanted = settings.platforms;
  if (base.kind === 'scratch') {
    if (wanted === 'all') {
      throw new TskoError(
        'TSKO_PLATFORM_NOT_FOUND',
        `platforms: 'all' needs a base index to list platforms, but ${importPath} builds on scratch; name the platforms.`,
      );
    }
    return wanted.map((spec) => {
      const platform = fullPlatform(spec, `${importPath} builds on scratch`);
      return { platform, load: async () => scratchImage(platform) };
    });
  }
  const node = base.node;
  if (node.kind === 'image') {
    const own = node.platform;
    if (
      settings.platformsExplicit &&
      (wanted === 'all' ? false : wanted.length !== 1 || !specMatches(wanted[0]!, own))
    ) {
      const asked = wanted === 'all' ? 'all' : wanted.map(formatSpec).join(', ');
      throw new TskoError(
        'TSKO_PLATFORM_NOT_FOUND',
        `Base image ${base.name} is a single ${formatPlatform(own)} image, but ${asked} was asked for ${importPath}. Use a multi-platform base index or build for ${formatPlatform(own)}.`,
        { details: { base: base.name } },
      );
    }
    return [{ platform: own, load: async () => node, baseDigest: (i) => i.digest }];
  }
  const matching = node.platforms.filter((d) => wanted === 'all' || wanted.some((w) => specMatches(w, d.platform)));
  if (matching.length === 0) {
    const have = node.platforms.map((d) => formatPlatform(d.platform)).join(', ');
    const asked = wanted === 'all' ? 'all' : wanted.map(formatSpec).join(', ');
    throw new TskoError(
      'TSKO_PLATFORM_NOT_FOUND',
      `Base index ${base.name} has no image for ${asked} (it has: ${have || 'none'}).`,
      { details: { base: base.name } },
    );
  }
  return matching.map((d) => ({
    platform: d.platform,
    load: () => node.image(d),
    descriptor: d,
    baseDigest: () => d.digest,
  }));
}
