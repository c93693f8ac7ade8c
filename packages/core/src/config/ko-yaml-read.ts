import { TskoError } from '@tsko/registry';
import {
  buildStringList,
  castString,
  checkEnvEntries,
  stringMap,
  viperStringSlice,
  weakString,
  type ValueSite,
} from './ko-yaml-values.js';

/** One `builds[]` entry, normalised (ko's `build.Config`). */
export interface KoBuildConfig {
  id?: string;
  dir?: string;
  main?: string;
  env?: string[];
  flags?: string[];
  ldflags?: string[];
  /** ko's `linux_capabilities`: file capabilities given to the binary on Linux targets. */
  linuxCapabilities?: string[];
}

/** A `.ko.yaml`, normalised: every list is a list, whatever shorthand the file used. */
export interface KoYaml {
  defaultBaseImage?: string;
  baseImageOverrides?: Record<string, string>;
  defaultPlatforms?: string[];
  defaultEnv?: string[];
  defaultFlags?: string[];
  defaultLdflags?: string[];
  builds?: KoBuildConfig[];
}

/** What reading a config found besides its values: keys ko would ignore. */
export interface KoYamlRead {
  config: KoYaml;
  /** Field paths ko does not know (`defaultBaseImages`, `builds[0].goos`), in file order. */
  unknownKeys: string[];
}

type ListKey = 'defaultPlatforms' | 'defaultEnv' | 'defaultFlags' | 'defaultLdflags';
// viper matches top-level keys case-insensitively (`defaultbaseimage` works in ko).
const TOP_KEYS = new Map<string, 'defaultBaseImage' | 'baseImageOverrides' | 'builds' | ListKey>(
  (
    [
      'defaultBaseImage',
      'baseImageOverrides',
      'builds',
      'defaultPlatforms',
      'defaultEnv',
      'defaultFlags',
      'defaultLdflags',
    ] as const
  ).map((k) => [k.toLowerCase(), k]),
);
// mapstructure matches the yaml tag name, else the field name case-insensitively.
const BUILD_KEYS = new Map<string, keyof KoBuildConfig>([
  ['id', 'id'],
  ['dir', 'dir'],
  ['main', 'main'],
  ['env', 'env'],
  ['flags', 'flags'],
  ['ldflags', 'ldflags'],
  ['linux_capabilities', 'linuxCapabilities'],
  ['linuxcapabilities', 'linuxCapabilities'],
]);

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBuild(raw: unknown, index: number, file: string, unknownKeys: string[]): KoBuildConfig {
  const at = `builds[${index}]`;
  if (raw === null || raw === undefined) return {};
  if (!isMap(raw)) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${file}: ${at}: expected a map (id, dir, main, env, flags, ldflags, linux_capabilities), got ${JSON.stringify(raw)?.slice(0, 80)}.`,
      { details: { file, field: at } },
    );
  }
  const build: KoBuildConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = BUILD_KEYS.get(key.toLowerCase());
    const site: ValueSite = { file, field: `${at}.${key}` };
    if (!name) {
      unknownKeys.push(site.field);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (name === 'id' || name === 'dir' || name === 'main') build[name] = weakString(value, site);
    else {
      const list = buildStringList(value, site, name === 'flags' || name === 'linuxCapabilities' ? 'fields' : 'whole');
      if (name === 'env') checkEnvEntries(list, site);
      // ko treats an empty list as "not set" (len == 0 falls back to the default).
      if (list?.length) build[name] = list;
    }
  }
  return build;
}

/**
 * Applies ko's reading rules to parsed YAML: case-insensitive keys, string shorthands for
 * lists, scalars cast to strings, and unknown keys collected (ko ignores them) instead of
 * refused. A value ko could not use either (a map where a string belongs, a scalar as
 * `builds`) is `TSKO_CONFIG_INVALID` naming the file and field.
 */
export function readKoYaml(raw: unknown, file: string): KoYamlRead {
  const unknownKeys: string[] = [];
  const config: KoYaml = {};
  if (raw === null || raw === undefined) return { config, unknownKeys };
  if (!isMap(raw)) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${file}: (root): expected a map of settings, got ${JSON.stringify(raw)?.slice(0, 80)}.`,
      { details: { file, field: '(root)' } },
    );
  }
  for (const [key, value] of Object.entries(raw)) {
    const name = TOP_KEYS.get(key.toLowerCase());
    const site: ValueSite = { file, field: key };
    if (!name) {
      unknownKeys.push(key);
    } else if (name === 'defaultBaseImage') {
      const image = castString(value, site);
      if (image) config.defaultBaseImage = image;
    } else if (name === 'baseImageOverrides') {
      const map = stringMap(value, site);
      if (map) config.baseImageOverrides = map;
    } else if (name === 'builds') {
      if (value === null || value === undefined) continue;
      // mapstructure lifts a single map into a one-entry list; an empty map is no builds.
      const list = Array.isArray(value) ? value : isMap(value) ? (Object.keys(value).length ? [value] : []) : [value];
      config.builds = list.map((b, i) => readBuild(b, i, file, unknownKeys));
    } else {
      const list = viperStringSlice(value, site);
      if (name === 'defaultEnv') checkEnvEntries(list, site);
      if (list) config[name] = list;
    }
  }
  return { config, unknownKeys };
}
