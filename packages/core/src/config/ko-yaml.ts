import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileSystemError, TskoError } from '@tsko/registry';
import { lazyRequire } from '../lazy-require.js';
import { readKoYaml, type KoYaml, type KoYamlRead } from './ko-yaml-read.js';

export type { KoBuildConfig, KoYaml, KoYamlRead } from './ko-yaml-read.js';

// yaml only when a config file is there to parse.
const yaml = lazyRequire<typeof import('yaml')>('yaml');

/** A loaded `.ko.yaml`, with the file it came from (for error messages). */
export interface LoadedKoYaml {
  path?: string;
  config: KoYaml;
  /** Keys ko does not know, which it ignores (see `readKoYaml`). */
  unknownKeys: string[];
}

/**
 * Finds and validates the ko config: `configPath` (a file or a folder), else `KO_CONFIG_PATH`,
 * else `.ko.json`, `.ko.yaml` or `.ko.yml` in `dir` (viper's search order for the name `.ko`;
 * JSON is read as YAML). A missing file is an empty config; an invalid one is
 * `TSKO_CONFIG_INVALID` naming the file, the field path and the problem.
 */
export async function loadKoYaml(dir: string, env: NodeJS.ProcessEnv, configPath?: string): Promise<LoadedKoYaml> {
  const explicit = configPath ?? env.KO_CONFIG_PATH;
  const candidates = explicit
    ? [resolve(dir, explicit), join(resolve(dir, explicit), '.ko.yaml'), join(resolve(dir, explicit), '.ko.yml')]
    : [join(dir, '.ko.json'), join(dir, '.ko.yaml'), join(dir, '.ko.yml')];
  for (const path of candidates) {
    const info = await stat(path).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    // Only a regular file: a FIFO or device named .ko.yaml would block the read forever.
    if (!info.isFile()) {
      throw new TskoError('TSKO_CONFIG_INVALID', `${path} is not a regular file; a ko config must be one.`, {
        details: { file: path },
      });
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw fileSystemError(err, 'ko config', path);
    }
    return { path, ...parseKoYaml(text, path) };
  }
  if (explicit) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `No ko config at ${resolve(dir, explicit)} (from ${configPath ? 'the configPath option' : 'KO_CONFIG_PATH'}).`,
      { details: { file: resolve(dir, explicit) } },
    );
  }
  return { config: {}, unknownKeys: [] };
}

/**
 * Parses `.ko.yaml` text as ko reads it (see `readKoYaml`); errors name `file`, the line for
 * syntax errors, and the field path.
 */
export function parseKoYaml(text: string, file = '.ko.yaml'): KoYamlRead {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${file}${line ? `:${line}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`,
      { details: { file, line } },
    );
  }
  let raw: unknown;
  try {
    // yaml's default alias budget refuses a "billion laughs" document instead of expanding it.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `${file}: ${(cause as Error).message} (YAML aliases expand to too much data).`,
      { cause, details: { file } },
    );
  }
  return readKoYaml(raw, file);
}
