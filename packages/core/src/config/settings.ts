import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { fileSystemError, parseTag, TskoError } from '@tsko/registry';
import { emitCore, type CoreEvent } from '../events.js';
import { checkEnvEntries, fields } from './ko-yaml-values.js';
import type { SettingSource } from './build-configs.js';
import { parsePlatformList, type PlatformSpec } from './platform-spec.js';
import type { BuildPlan } from '../options.js';
import type { NamingStrategy } from '../naming.js';
import { loadKoYaml, type KoBuildConfig, type LoadedKoYaml } from './ko-yaml.js';

/** ko's default base image. */
export const DEFAULT_BASE_IMAGE = 'cgr.dev/chainguard/static:latest';

/**
 * The plan after applying code options > env > `.ko.yaml` > defaults: plain data about what to
 * build. Where it goes and how it runs is the {@link Runtime} (config/runtime.ts).
 */
export interface Settings {
  dir: string;
  env: NodeJS.ProcessEnv;
  koYaml: LoadedKoYaml;
  repo: string | undefined;
  defaultBase: string;
  baseOverrides: Record<string, string>;
  /** `'all'`, or ko platform specs (`linux` selects every Linux image of a base index). */
  platforms: 'all' | PlatformSpec[];
  /** Whether platforms were asked for (else a single-image base's own platform is fine). */
  platformsExplicit: boolean;
  tags: string[];
  tagOnly: boolean;
  naming: NamingStrategy;
  sbom: 'spdx' | 'none';
  user: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  defaults: { env: string[]; flags: string[]; ldflags: string[] };
  /** Where each default came from (a `.ko.yaml` field or a KO_DEFAULT* variable), for errors. */
  defaultsFrom: Record<'env' | 'flags' | 'ldflags', SettingSource>;
  builds: KoBuildConfig[];
  code: { env: string[]; flags: string[] | undefined; ldflags: string[] | undefined };
  /** Build with `-gcflags all=-N -l` (ko's `--disable-optimizations`). */
  disableOptimizations: boolean;
  /** Delve in the image, the program started under it (ko's `--debug`). */
  debug: boolean;
  /** Whether build settings may name programs (`allowBuildPrograms`). */
  allowBuildPrograms: boolean;
  /** Config `created` from SOURCE_DATE_EPOCH. */
  created: Date | undefined;
  /** kodata mtime from KO_DATA_DATE_EPOCH. */
  kodataDate: Date | undefined;
  goBinary: string | undefined;
}

function epoch(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${name}="${value.slice(0, 40)}" must be whole seconds since the Unix epoch.`,
      { details: { variable: name } },
    );
  }
  return new Date(Number(value.trim()) * 1000);
}

/**
 * Applies ko's precedence to produce the settings of one build or publish. `env` is where the
 * KO_* variables are read (the execution's `environment`); `onEvent` hears about unknown keys.
 */
export async function resolveSettings(
  plan: BuildPlan,
  env: NodeJS.ProcessEnv,
  onEvent?: (event: CoreEvent) => void,
): Promise<Settings> {
  const dir = resolve(plan.dir ?? process.cwd());
  // Checked here so a missing folder is named as such, not mistaken for a missing Go tool.
  const dirInfo = await stat(dir).catch((err: unknown) => {
    throw fileSystemError(err, plan.dir ? 'options.dir' : 'The working folder', dir);
  });
  if (!dirInfo.isDirectory()) {
    throw new TskoError(
      'TSKO_PATH_INVALID',
      `${plan.dir ? 'options.dir' : 'The working folder'} ${dir} is a file, not a folder.`,
      { details: { path: dir, field: 'dir' } },
    );
  }
  const koYaml = await loadKoYaml(dir, env, plan.configPath);
  const file = koYaml.path ?? '.ko.yaml';
  const y = koYaml.config;

  if (koYaml.unknownKeys.length) {
    if (plan.strictConfig) {
      const keys = koYaml.unknownKeys;
      throw new TskoError(
        'TSKO_CONFIG_INVALID',
        `${file}: unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')} (strictConfig is on; ko ignores unknown keys).`,
        { details: { file, field: keys[0] } },
      );
    }
    for (const key of koYaml.unknownKeys) emitCore(onEvent, { type: 'config:unknown-key', file, key });
  }
  const { platforms, platformsExplicit } = choosePlatforms(plan, env, y.defaultPlatforms, file);
  // viper's AutomaticEnv: KO_DEFAULTENV etc. replace the file's value, split on white space.
  const defaultsFrom = {} as Settings['defaultsFrom'];
  const defaults = {} as Settings['defaults'];
  for (const [key, yamlKey] of [
    ['env', 'defaultEnv'],
    ['flags', 'defaultFlags'],
    ['ldflags', 'defaultLdflags'],
  ] as const) {
    const variable = `KO_${yamlKey.toUpperCase()}`;
    if (env[variable]) {
      defaults[key] = fields(env[variable]);
      defaultsFrom[key] = { where: variable, field: variable };
    } else {
      defaults[key] = y[yamlKey] ?? [];
      defaultsFrom[key] = { where: `${file}: ${yamlKey}`, field: yamlKey, file };
    }
  }
  if (env.KO_DEFAULTENV) checkEnvEntries(defaults.env, { file: 'environment', field: 'KO_DEFAULTENV' });

  // Checked before any build: a tag becomes part of a registry URL (see @tsko/registry names.ts).
  const tags = (plan.tags ?? ['latest']).map((t, i) => parseTag(t, `options.tags[${i}]`));
  if (plan.tagOnly && tags.length !== 1) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `options.tagOnly needs exactly one tag; got ${tags.length} (${tags.join(', ')}).`,
      { details: { field: 'tags' } },
    );
  }

  const created = epoch('SOURCE_DATE_EPOCH', env.SOURCE_DATE_EPOCH);
  const kodataDate = epoch('KO_DATA_DATE_EPOCH', env.KO_DATA_DATE_EPOCH);

  return {
    dir,
    env,
    koYaml,
    repo: plan.repo ?? (env.KO_DOCKER_REPO || undefined),
    defaultBase: plan.baseImage ?? (env.KO_DEFAULTBASEIMAGE || undefined) ?? y.defaultBaseImage ?? DEFAULT_BASE_IMAGE,
    baseOverrides: { ...(overridesFromEnv(env) ?? y.baseImageOverrides ?? {}), ...(plan.baseImageOverrides ?? {}) },
    platforms,
    platformsExplicit,
    tags,
    tagOnly: plan.tagOnly ?? false,
    naming: plan.naming ?? 'md5',
    sbom: plan.sbom ?? 'spdx',
    user: plan.user,
    labels: plan.labels ?? {},
    annotations: plan.annotations ?? {},
    defaults,
    defaultsFrom,
    builds: y.builds ?? [],
    code: { env: plan.env ?? [], flags: plan.flags, ldflags: plan.ldflags },
    disableOptimizations: plan.disableOptimizations ?? false,
    debug: plan.debug ?? false,
    allowBuildPrograms: plan.allowBuildPrograms ?? false,
    created,
    kodataDate,
    goBinary: plan.goBinary,
  };
}

/**
 * ko's platform choice: options, else KO_DEFAULTPLATFORMS, else `defaultPlatforms`; with none
 * of them, the caller's GOOS/GOARCH (both set) and GOARM (as the arm variant), else
 * linux/amd64. Asking for platforms while GOOS, GOARCH or GOARM is set is an error, as in ko,
 * because the two would disagree about what is built.
 */
function choosePlatforms(
  plan: BuildPlan,
  env: NodeJS.ProcessEnv,
  fromYaml: string[] | undefined,
  file: string,
): { platforms: 'all' | PlatformSpec[]; platformsExplicit: boolean } {
  const envPlatforms = env.KO_DEFAULTPLATFORMS?.trim();
  let platforms: 'all' | PlatformSpec[] | undefined;
  let source = '';
  if (plan.platforms === 'all') [platforms, source] = ['all', 'options.platforms'];
  else if (plan.platforms)
    [platforms, source] = [parsePlatformList(plan.platforms, 'options.platforms'), 'options.platforms'];
  else if (envPlatforms)
    [platforms, source] = [parsePlatformList([envPlatforms], 'KO_DEFAULTPLATFORMS'), 'KO_DEFAULTPLATFORMS'];
  else if (fromYaml?.length)
    [platforms, source] = [parsePlatformList(fromYaml, `${file}: defaultPlatforms`), `${file}: defaultPlatforms`];
  if (platforms) {
    for (const name of ['GOOS', 'GOARCH', 'GOARM']) {
      if (env[name] !== undefined) {
        throw new TskoError(
          'TSKO_CONFIG_INVALID',
          `${source} chooses the platforms, but ${name}=${JSON.stringify(env[name]).slice(0, 40)} is set in the environment too; unset ${name} (ko refuses the same combination).`,
          { details: { field: source, variable: name } },
        );
      }
    }
    return { platforms, platformsExplicit: true };
  }
  const { GOOS: goos, GOARCH: goarch, GOARM: goarm } = env;
  const spec: PlatformSpec =
    goos && goarch ? { os: goos, architecture: goarch } : { os: 'linux', architecture: 'amd64' };
  // ko tests strings.Contains(GOARCH, "arm"), which would also give arm64 a v7 variant; only 32-bit arm has GOARM.
  if (goarch === 'arm' && goarm) spec.variant = `v${goarm}`;
  return { platforms: [spec], platformsExplicit: false };
}

/** viper reads `KO_BASEIMAGEOVERRIDES` as a JSON object of import path to image; it replaces the file's map. */
function overridesFromEnv(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  const text = env.KO_BASEIMAGEOVERRIDES;
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string' && v !== '')
  ) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `KO_BASEIMAGEOVERRIDES must be a JSON object of import path to base image, e.g. {"example.com/app/cmd/x":"cgr.dev/chainguard/static"}.`,
      { details: { variable: 'KO_BASEIMAGEOVERRIDES' } },
    );
  }
  return value as Record<string, string>;
}
