import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TskoError } from '@tsko/registry';
import { resolveImportPath } from '../go/import-path.js';
import { checkBuildEnv, checkGoFlags, checkLdflags, type ProgramSetting } from '../go/program-policy.js';
import type { Settings } from './settings.js';
import { expandAll, type TemplateData } from './templates.js';

/** How one import path is built, after `.ko.yaml` builds[], defaults and code options. */
export interface EffectiveBuild {
  /** `builds[].id`, or `#<index>` (ko's naming), when an entry matched. */
  id?: string;
  /** Where `go build` runs. */
  dir: string;
  env: string[];
  flags: string[];
  ldflags: string[];
}

interface MatchedBuild {
  index: number;
  id: string;
  dir: string;
  env?: string[];
  flags?: string[];
  ldflags?: string[];
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
      if (!info) throw new TskoError('TSKO_CONFIG_INVALID', `${where}.main: ${resolve(baseDir, main)} does not exist.`, { details: { file, field: `builds[${index}].main` } });
      if (info.isFile()) main = dirname(main);
      const local = main.startsWith('.') || main.startsWith('/') ? main : `./${main}`;
      let importPath: string;
      try {
        importPath = (await resolveImportPath(local, { dir: baseDir, env: settings.env, goBinary: settings.goBinary })).importPath;
      } catch (cause) {
        throw new TskoError('TSKO_CONFIG_INVALID', `${where}: main ${local} in ${baseDir} is not a main package: ${(cause as Error).message}`, { cause, details: { file, field: `builds[${index}].main` } });
      }
      const matched: MatchedBuild = { index, id: b.id ?? `#${index}`, dir: baseDir };
      if (b.env) matched.env = b.env;
      if (b.flags) matched.flags = b.flags;
      if (b.ldflags) matched.ldflags = b.ldflags;
      return [importPath, matched] as const;
    }),
  );
  return new Map(entries);
}

/**
 * ko's precedence for one import path: a matching builds[] entry's env/flags/ldflags replace
 * the `default*` ones field by field; templates in those are expanded; then the code's `env`
 * is appended (so its keys win) and the code's `flags`/`ldflags` replace when given.
 */
export function effectiveBuild(settings: Settings, matched: MatchedBuild | undefined, data: TemplateData): EffectiveBuild {
  const file = settings.koYaml.path ?? '.ko.yaml';
  const allow = settings.allowBuildPrograms;
  // Errors name where the value came from: the matching builds[] entry, or the default*.
  const pick = (field: 'env' | 'flags' | 'ldflags') => {
    const fromBuild = matched?.[field];
    const name = fromBuild ? `builds[${matched!.index}].${field}` : `default${field[0]!.toUpperCase()}${field.slice(1)}`;
    const values = expandAll(fromBuild ?? settings.defaults[field], data, `${file}: ${name}`);
    // Checked after expansion: a template may pull a value in from the environment.
    const source = (i: number): ProgramSetting => ({ where: `${file}: ${name}[${i}]`, field: `${name}[${i}]`, file });
    if (field === 'env') checkBuildEnv(values, source, allow);
    else if (field === 'flags') checkGoFlags(values, source, allow);
    else checkLdflags(values, source, allow);
    return values;
  };
  const code = (field: string) => (i: number): ProgramSetting => ({ where: `options.${field}[${i}]`, field: `${field}[${i}]` });
  checkBuildEnv(settings.code.env, code('env'), allow);
  if (settings.code.flags) checkGoFlags(settings.code.flags, code('flags'), allow);
  if (settings.code.ldflags) checkLdflags(settings.code.ldflags, code('ldflags'), allow);
  const env = pick('env');
  const flags = settings.code.flags ?? pick('flags');
  const ldflags = settings.code.ldflags ?? pick('ldflags');
  const result: EffectiveBuild = { dir: matched?.dir ?? settings.dir, env: [...env, ...settings.code.env], flags, ldflags };
  if (matched) result.id = matched.id;
  return result;
}
