import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { mkdir, stat } from 'node:fs/promises';
import { fileSystemError, parsePlatform, parseTag, TskoError, type Platform, type RegistryOptions } from '@tsko/registry';
import { makeTempDir } from '../temp-dirs.js';
import { BlobStore } from '../layers/blob-store.js';
import type { BuildPlan, ExecutionOptions, SinkSpec } from '../options.js';
import type { NamingStrategy } from '../naming.js';
import { loadKoYaml, type KoBuildConfig, type LoadedKoYaml } from './ko-yaml.js';

/** ko's default base image. */
export const DEFAULT_BASE_IMAGE = 'cgr.dev/chainguard/static:latest';

/** Everything a build needs, after applying code options > env > `.ko.yaml` > defaults. */
export interface Settings {
  dir: string;
  env: NodeJS.ProcessEnv;
  koYaml: LoadedKoYaml;
  repo: string | undefined;
  defaultBase: string;
  baseOverrides: Record<string, string>;
  platforms: 'all' | Platform[];
  /** Whether platforms were asked for (else a single-image base's own platform is fine). */
  platformsExplicit: boolean;
  tags: string[];
  tagOnly: boolean;
  naming: NamingStrategy;
  push: boolean;
  sbom: 'spdx' | 'none';
  sbomDir: string | undefined;
  sbomAttachment: 'referrers' | 'tag' | 'both' | undefined;
  sinks: SinkSpec[];
  user: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  defaults: { env: string[]; flags: string[]; ldflags: string[] };
  builds: KoBuildConfig[];
  code: { env: string[]; flags: string[] | undefined; ldflags: string[] | undefined };
  /** Whether build settings may name programs (`allowBuildPrograms`). */
  allowBuildPrograms: boolean;
  /** Config `created` from SOURCE_DATE_EPOCH. */
  created: Date | undefined;
  /** kodata mtime from KO_DATA_DATE_EPOCH. */
  kodataDate: Date | undefined;
  store: BlobStore;
  /** The throw-away cache of `cacheDir: false`, removed when the call is done. */
  tempCache: string | undefined;
  goBinary: string | undefined;
  registry: RegistryOptions;
  concurrency: number;
  pushConcurrency: number;
}

function epoch(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new TskoError('TSKO_CONFIG_INVALID', `${name}="${value.slice(0, 40)}" must be whole seconds since the Unix epoch.`, { details: { variable: name } });
  }
  return new Date(Number(value.trim()) * 1000);
}

function platformList(list: readonly string[], where: string): Platform[] {
  return list.map((p) => {
    try {
      return parsePlatform(p.trim());
    } catch (cause) {
      throw new TskoError('TSKO_CONFIG_INVALID', `${where}: "${p}" is not a platform (os/arch[/variant]).`, { cause, details: { field: where } });
    }
  });
}

/** Applies ko's precedence to produce the settings of one build or publish. */
export async function resolveSettings(plan: BuildPlan, exec: ExecutionOptions): Promise<Settings> {
  const env = exec.environment ?? process.env;
  const dir = resolve(plan.dir ?? process.cwd());
  // Checked here so a missing folder is named as such, not mistaken for a missing Go tool.
  const dirInfo = await stat(dir).catch((err: unknown) => {
    throw fileSystemError(err, plan.dir ? 'options.dir' : 'The working folder', dir);
  });
  if (!dirInfo.isDirectory()) {
    throw new TskoError('TSKO_PATH_INVALID', `${plan.dir ? 'options.dir' : 'The working folder'} ${dir} is a file, not a folder.`, { details: { path: dir, field: 'dir' } });
  }
  const koYaml = await loadKoYaml(dir, env, plan.configPath);
  const file = koYaml.path ?? '.ko.yaml';
  const y = koYaml.config;

  let platforms: 'all' | Platform[];
  let platformsExplicit = true;
  const envPlatforms = env.KO_DEFAULTPLATFORMS?.trim();
  const yamlPlatforms = typeof y.defaultPlatforms === 'string' ? y.defaultPlatforms.split(',') : y.defaultPlatforms;
  if (plan.platforms === 'all') platforms = 'all';
  else if (plan.platforms) platforms = platformList(plan.platforms, 'options.platforms');
  else if (envPlatforms === 'all') platforms = 'all';
  else if (envPlatforms) platforms = platformList(envPlatforms.split(','), 'KO_DEFAULTPLATFORMS');
  else if (yamlPlatforms?.length === 1 && yamlPlatforms[0] === 'all') platforms = 'all';
  else if (yamlPlatforms?.length) platforms = platformList(yamlPlatforms, `${file}: defaultPlatforms`);
  else {
    platformsExplicit = false;
    platforms = [{ os: env.GOOS || 'linux', architecture: env.GOARCH || 'amd64' }];
  }

  // Checked before any build: a tag becomes part of a registry URL (see @tsko/registry names.ts).
  const tags = (plan.tags ?? ['latest']).map((t, i) => parseTag(t, `options.tags[${i}]`));
  if (plan.tagOnly && tags.length !== 1) {
    throw new TskoError('TSKO_CONFIG_INVALID', `options.tagOnly needs exactly one tag; got ${tags.length} (${tags.join(', ')}).`, { details: { field: 'tags' } });
  }

  const created = epoch('SOURCE_DATE_EPOCH', env.SOURCE_DATE_EPOCH);
  const kodataDate = epoch('KO_DATA_DATE_EPOCH', env.KO_DATA_DATE_EPOCH);
  // Last, so that nothing after it can fail and leave the folder behind.
  const tempCache = plan.cacheDir === false ? await makeTempDir('tsko-cache-') : undefined;
  const cacheRoot = tempCache ?? (plan.cacheDir ? resolve(dir, plan.cacheDir) : BlobStore.defaultRoot(env));
  if (!tempCache) {
    await mkdir(cacheRoot, { recursive: true }).catch((err: unknown) => {
      throw fileSystemError(err, plan.cacheDir ? 'options.cacheDir' : 'The layer cache (cacheDir)', cacheRoot);
    });
  }

  const registry: RegistryOptions = { env };
  if (exec.credentials) registry.credentials = exec.credentials;
  if (plan.insecureRegistries) registry.insecure = plan.insecureRegistries;
  if (plan.ca) registry.ca = plan.ca;
  if (exec.signal) registry.signal = exec.signal;
  if (exec.onEvent) registry.onEvent = exec.onEvent;
  if (exec.timeouts) registry.timeouts = exec.timeouts;
  if (exec.retry) registry.retry = exec.retry;

  return {
    dir,
    env,
    koYaml,
    repo: plan.repo ?? (env.KO_DOCKER_REPO || undefined),
    defaultBase: plan.baseImage ?? (env.KO_DEFAULTBASEIMAGE || undefined) ?? y.defaultBaseImage ?? DEFAULT_BASE_IMAGE,
    baseOverrides: { ...(y.baseImageOverrides ?? {}), ...(plan.baseImageOverrides ?? {}) },
    platforms,
    platformsExplicit,
    tags,
    tagOnly: plan.tagOnly ?? false,
    naming: plan.naming ?? 'md5',
    push: plan.push ?? true,
    sbom: plan.sbom ?? 'spdx',
    sbomDir: plan.sbomDir ? resolve(dir, plan.sbomDir) : undefined,
    sbomAttachment: plan.sbomAttachment,
    sinks: plan.sinks ?? [],
    user: plan.user,
    labels: plan.labels ?? {},
    annotations: plan.annotations ?? {},
    defaults: { env: y.defaultEnv ?? [], flags: y.defaultFlags ?? [], ldflags: y.defaultLdflags ?? [] },
    builds: y.builds ?? [],
    code: { env: plan.env ?? [], flags: plan.flags, ldflags: plan.ldflags },
    allowBuildPrograms: plan.allowBuildPrograms ?? false,
    created,
    kodataDate,
    store: new BlobStore(cacheRoot),
    tempCache,
    goBinary: plan.goBinary,
    registry,
    concurrency: exec.concurrency ?? Math.max(1, availableParallelism()),
    pushConcurrency: exec.pushConcurrency ?? 4,
  };
}
