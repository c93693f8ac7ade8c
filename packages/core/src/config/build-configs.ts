import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TskoError } from '@tsko/registry';
import { resolveImportPath } from '../go/import-path.js';
import { checkBuildEnv, checkGoFlags, checkLdflags, type ProgramSetting } from '../go/program-policy.js';
import type { Settings } from './settings.js';
import { capabilityXattr } from '../go/capabilities.js';
import { expandAll, type TemplateData } from './templates.js';

/** How one import path is built, after `.ko.yaml` builds[], defaults and code options. */
export interface EffectiveBuild {
  /** `builds[].id`, or `#<index>` (ko's naming), when an entry matched. */
  id?: string;
  /** Where `go build` runs. */
  dir: string;
  /** `KEY=value` entries after the platform's and the caller's environment (never templates, as in ko). */
  env: string[];
  /** Go flags and linker flags, still holding their templates (expanded per platform). */
  flags: string[];
  ldflags: string[];
  /** Where each list came from, for error messages (`/repo/.ko.yaml: builds[0].ldflags`). */
  flagsFrom: SettingSource;
  ldflagsFrom: SettingSource;
  /** The `security.capability` xattr for Linux binaries (`builds[].linux_capabilities`). */
  capabilities?: Uint8Array;
}

/** Where a list of build settings was written: a `.ko.yaml` field, a KO_* variable or an option. */
export interface SettingSource {
  /** Prefix for messages: `/repo/.ko.yaml: defaultLdflags`, `KO_DEFAULTLDFLAGS`, `options.ldflags`. */
  where: string;
  /** Field path for `details.field`: `defaultLdflags`, `KO_DEFAULTLDFLAGS`, `ldflags`. */
  field: string;
  file?: string;
}

function entry(source: SettingSource): (i: number) => ProgramSetting {
  return (i) => ({
    where: `${source.where}[${i}]`,
    field: `${source.field}[${i}]`,
    ...(source.file ? { file: source.file } : {}),
  });
}

interface MatchedBuild {
  index: number;
  id: string;
  dir: string;
  env?: string[];
  flags?: string[];
  ldflags?: string[];
  linuxCapabilities?: string[];
}

/**
 * Maps each `.ko.yaml` builds[] entry to the import path of its `main` package, resolved with
 * `go list` from `dir` (as ko and GoReleaser do: `main` may name a file or a folder).
 */
export async function matchBuildConfigs(settings: Settings): Promise<Map<string, MatchedBuild>> {
  const file = settings.koYaml.path ?? '.ko.yaml';
  const entries = await Promise.all(
    settings.builds.map(async (b, index) => {
      const where = `${file}: builds[${index}]${b.id ? ` (${b.id})` : ''}`;
      const baseDir = resolve(settings.dir, b.dir ?? '.');
      let main = b.main ?? '.';
      const info = await stat(resolve(baseDir, main)).catch(() => undefined);
      if (!info)
        throw new TskoError('TSKO_CONFIG_INVALID', `${where}.main: ${resolve(baseDir, main)} does not exist.`, {
          details: { file, field: `builds[${index}].main` },
        });
      if (info.isFile()) main = dirname(main);
      const local = main.startsWith('.') || main.startsWith('/') ? main : `./${main}`;
      let importPath: string;
      try {
        importPath = (await resolveImportPath(local, { dir: baseDir, env: settings.env, goBinary: settings.goBinary }))
          .importPath;
      } catch (cause) {
        throw new TskoError(
          'TSKO_CONFIG_INVALID',
          `${where}: main ${local} in ${baseDir} is not a main package: ${(cause as Error).message}`,
          { cause, details: { file, field: `builds[${index}].main` } },
        );
      }
      const matched: MatchedBuild = { index, id: b.id ?? `#${index}`, dir: baseDir };
      if (b.env) matched.env = b.env;
      if (b.flags) matched.flags = b.flags;
      if (b.ldflags) matched.ldflags = b.ldflags;
      if (b.linuxCapabilities) matched.linuxCapabilities = b.linuxCapabilities;
      return [importPath, matched] as const;
    }),
  );
  return new Map(entries);
}

/**
 * ko's precedence for one import path: a matching builds[] entry's env/flags/ldflags replace
 * the `default*` ones field by field; the code's `env` is appended (so its keys win) and the
 * code's `flags`/`ldflags` replace when given. Env entries are checked here; flags and
 * ldflags after their templates are expanded for each platform (`expandBuild`).
 */
export function effectiveBuild(settings: Settings, matched: MatchedBuild | undefined): EffectiveBuild {
  const file = settings.koYaml.path ?? '.ko.yaml';
  const allow = settings.allowBuildPrograms;
  const from = (field: 'env' | 'flags' | 'ldflags'): SettingSource => {
    if (matched?.[field])
      return { where: `${file}: builds[${matched.index}].${field}`, field: `builds[${matched.index}].${field}`, file };
    return settings.defaultsFrom[field];
  };
  const configEnv = matched?.env ?? settings.defaults.env;
  checkBuildEnv(configEnv, entry(from('env')), allow);
  checkBuildEnv(settings.code.env, entry({ where: 'options.env', field: 'env' }), allow);
  const result: EffectiveBuild = {
    dir: matched?.dir ?? settings.dir,
    env: [...configEnv, ...settings.code.env],
    flags: settings.code.flags ?? matched?.flags ?? settings.defaults.flags,
    ldflags: settings.code.ldflags ?? matched?.ldflags ?? settings.defaults.ldflags,
    flagsFrom: settings.code.flags ? { where: 'options.flags', field: 'flags' } : from('flags'),
    ldflagsFrom: settings.code.ldflags ? { where: 'options.ldflags', field: 'ldflags' } : from('ldflags'),
  };
  if (matched) result.id = matched.id;
  if (matched?.linuxCapabilities) {
    const field = `builds[${matched.index}].linux_capabilities`;
    result.capabilities = capabilityXattr(matched.linuxCapabilities, `${file}: ${field}`);
  }
  return result;
}

/** Whether a setting holds a template, so git and `go env` are only asked when needed. */
export function usesTemplates(how: EffectiveBuild): boolean {
  return [...how.flags, ...how.ldflags].some((v) => v.includes('{{'));
}

/**
 * The flags and ldflags of one platform: templates expanded with that platform's data
 * (ko templates `flags` and `ldflags`, not `env`), then checked against the program policy,
 * then `-gcflags all=-N -l` added for `disableOptimizations` (as ko adds it after the flags).
 */
export function expandBuild(
  settings: Settings,
  how: EffectiveBuild,
  data: TemplateData,
): { flags: string[]; ldflags: string[] } {
  const allow = settings.allowBuildPrograms;
  const flags = expandAll(how.flags, data, how.flagsFrom.where);
  const ldflags = expandAll(how.ldflags, data, how.ldflagsFrom.where);
  checkGoFlags(flags, entry(how.flagsFrom), allow);
  checkLdflags(ldflags, entry(how.ldflagsFrom), allow);
  if (settings.disableOptimizations) flags.push('-gcflags', 'all=-N -l');
  return { flags, ldflags };
}
