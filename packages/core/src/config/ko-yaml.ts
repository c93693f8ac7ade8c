import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { fileSystemError, TskoError } from '@tsko/registry';

const stringList = z.array(z.string());

const buildSchema = z.strictObject({
  id: z.string().optional(),
  dir: z.string().optional(),
  main: z.string().optional(),
  env: stringList.optional(),
  flags: stringList.optional(),
  ldflags: stringList.optional(),
});

/**
 * The `.ko.yaml` fields tsko understands. Unknown top-level keys are rejected so a typo
 * (`defaultBaseImages`) is an error, not a silently ignored setting.
 */
export const koYamlSchema = z.strictObject({
  defaultBaseImage: z.string().min(1).optional(),
  baseImageOverrides: z.record(z.string(), z.string().min(1)).optional(),
  defaultPlatforms: z.union([stringList, z.string()]).optional(),
  defaultEnv: stringList.optional(),
  defaultFlags: stringList.optional(),
  defaultLdflags: stringList.optional(),
  builds: z.array(buildSchema).optional(),
});

export type KoYaml = z.infer<typeof koYamlSchema>;
export type KoBuildConfig = z.infer<typeof buildSchema>;

/** A loaded `.ko.yaml`, with the file it came from (for error messages). */
export interface LoadedKoYaml {
  path?: string;
  config: KoYaml;
}

/**
 * Finds and validates the ko config: `configPath` (a file or a folder), else `KO_CONFIG_PATH`,
 * else `.ko.yaml` in `dir`. A missing file is an empty config; an invalid one is
 * `TSKO_CONFIG_INVALID` naming the file, the field path and the problem.
 */
export async function loadKoYaml(dir: string, env: NodeJS.ProcessEnv, configPath?: string): Promise<LoadedKoYaml> {
  const explicit = configPath ?? env.KO_CONFIG_PATH;
  const candidates = explicit
    ? [resolve(dir, explicit), join(resolve(dir, explicit), '.ko.yaml'), join(resolve(dir, explicit), '.ko.yml')]
    : [join(dir, '.ko.yaml'), join(dir, '.ko.yml')];
  for (const path of candidates) {
    const info = await stat(path).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    // Only a regular file: a FIFO or device named .ko.yaml would block the read forever.
    if (!info.isFile()) {
      throw new TskoError('TSKO_CONFIG_INVALID', `${path} is not a regular file; a ko config must be one.`, { details: { file: path } });
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw fileSystemError(err, 'ko config', path);
    }
    return { path, config: parseKoYaml(text, path) };
  }
  if (explicit) {
    throw new TskoError('TSKO_CONFIG_INVALID', `No ko config at ${resolve(dir, explicit)} (from ${configPath ? 'the configPath option' : 'KO_CONFIG_PATH'}).`, { details: { file: resolve(dir, explicit) } });
  }
  return { config: {} };
}

/** Parses `.ko.yaml` text; errors name `file`, the line for syntax errors, and the field path. */
export function parseKoYaml(text: string, file = '.ko.yaml'): KoYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new TskoError('TSKO_CONFIG_INVALID', `${file}${line ? `:${line}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`, { details: { file, line } });
  }
  let raw: unknown;
  try {
    // yaml's default alias budget refuses a "billion laughs" document instead of expanding it.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (cause) {
    throw new TskoError('TSKO_CONFIG_INVALID', `${file}: ${(cause as Error).message} (YAML aliases expand to too much data).`, { cause, details: { file } });
  }
  const result = koYamlSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)';
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw new TskoError('TSKO_CONFIG_INVALID', `${file}: ${field}: ${issue.message}${keys}.`, { cause: result.error, details: { file, field } });
  }
  return result.data;
}
