import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { VCS_MARKERS } from '../go/build-inputs.js';
import { settledStamp, stampClock, statText } from '../go/file-stamps.js';
import { insideProject } from './portable-key.js';

/**
 * What a path held when a build read it, in a form any machine can check: `sha256:<hex>` of a
 * file's bytes, `dir:<hex>` of a folder's sorted entry names (a new file in a package folder
 * changes it), or `absent`.
 */
export type InputState = string;

/** A path's state, and its stamp (file-stamps.ts) from just before it was read. */
interface Hashed {
  state: InputState;
  stamp: string;
  /** The stamp is settled: a change after it shows as another stamp. */
  settled: boolean;
}

/**
 * Hashes paths once per call: several platforms of one build share most of their inputs. Each
 * path is stamped before it is read, so a later caller can tell by a stamp alone that the path
 * still holds what was hashed (`hashedAs`), without reading it again.
 */
export class InputHasher {
  private readonly known = new Map<string, Promise<Hashed>>();

  state(path: string): Promise<InputState> {
    return this.hashed(path).then((h) => h.state);
  }

  /** True when `path` was hashed here, and `stamp` is the settled stamp it had just before. */
  async hashedAs(path: string, stamp: string): Promise<boolean> {
    const h = await this.known.get(path)?.catch(() => undefined);
    return h?.settled === true && h.stamp === stamp;
  }

  private hashed(path: string): Promise<Hashed> {
    let p = this.known.get(path);
    if (!p) {
      p = stateOf(path);
      this.known.set(path, p);
    }
    return p;
  }
}

async function stateOf(path: string): Promise<Hashed> {
  const takenAt = stampClock();
  const s = await statText(path);
  const stamped = { stamp: s.text, settled: settledStamp(s, takenAt) };
  if (s.text === 'missing') return { state: 'absent', ...stamped };
  const h = createHash('sha256');
  if (s.dir) {
    h.update((await readdir(path)).sort().join('\0'));
    return { state: `dir:${h.digest('hex')}`, ...stamped };
  }
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return { state: `sha256:${h.digest('hex')}`, ...stamped };
}

/** A build's inputs as a record can hold them, or why they cannot travel. */
export type PortableInputs = { inputs: Record<string, InputState>; absentAbove: string[] } | { unshareable: string };

/**
 * Turns the absolute paths a build read (`listBuildInputs`) into project-relative states.
 * Paths outside the project folder cannot be checked on another machine: when they do not
 * exist (module and workspace files Go would have looked for above the project, say) they
 * are left out, because what Go found instead is in the key (GOWORK) or in the project; the
 * `go env -w` file is left out because the effective settings are in the key; VCS markers
 * above the project become a rule every reader checks on its own folders; anything else that
 * exists outside (a `replace` target in a sibling folder) keeps the build local.
 */
export async function portableInputs(
  paths: readonly string[],
  projectDir: string,
  goEnvFile: string,
  hasher: InputHasher,
): Promise<PortableInputs> {
  const inputs: Record<string, InputState> = {};
  const above = new Set<string>();
  const states = await Promise.all(paths.map((p) => hasher.state(p)));
  for (const [i, path] of paths.entries()) {
    const state = states[i]!;
    const rel = insideProject(projectDir, path);
    if (rel) {
      inputs[rel] = state;
      continue;
    }
    const marker = VCS_MARKERS.includes(basename(path)) && insideProject(dirname(path), projectDir) !== undefined;
    if (marker && state === 'absent') above.add(basename(path));
    else if (marker) return { unshareable: `a version control folder ${path} lies above the project folder` };
    else if (state !== 'absent' && path !== goEnvFile) {
      return { unshareable: `the build reads ${path}, outside the project folder` };
    }
  }
  return { inputs, absentAbove: [...above].sort() };
}

/** What the recorded paths (project-relative) hold in this checkout; undefined when one cannot be read. */
export async function currentStates(
  projectDir: string,
  names: readonly string[],
  hasher: InputHasher,
): Promise<Record<string, InputState> | undefined> {
  try {
    const now = await Promise.all(names.map((rel) => hasher.state(join(projectDir, ...rel.split('/')))));
    return Object.fromEntries(names.map((rel, i) => [rel, now[i]!]));
  } catch {
    return undefined;
  }
}

/** True when every recorded path (or those named in `only`) holds what it held, under `projectDir`. */
export async function inputsHold(
  projectDir: string,
  inputs: Readonly<Record<string, InputState>>,
  hasher: InputHasher,
  only?: readonly string[],
): Promise<boolean> {
  const names = only ?? Object.keys(inputs);
  const now = await currentStates(projectDir, names, hasher);
  return now !== undefined && names.every((rel) => inputs[rel] !== undefined && now[rel] === inputs[rel]);
}

/** True when no folder above `projectDir` holds any of `names` (VCS markers Go would find). */
export async function absentAbove(projectDir: string, names: readonly string[], hasher: InputHasher): Promise<boolean> {
  if (!names.length) return true;
  const paths: string[] = [];
  for (let d = dirname(projectDir); ; d = dirname(d)) {
    for (const n of names) paths.push(join(d, n));
    if (dirname(d) === d) break;
  }
  try {
    return (await Promise.all(paths.map((p) => hasher.state(p)))).every((s) => s === 'absent');
  } catch {
    return false;
  }
}

const MODULE_FILES = new Set(['go.mod', 'go.sum', 'go.work', 'go.work.sum', 'modules.txt']);

/**
 * The recorded paths `go list` reads to name the package in `pkgDir` (project-relative):
 * module and workspace files, the package folder, its files and the folders above it (as
 * keyed-build.ts's resolution record).
 */
export function resolutionPaths(inputs: Readonly<Record<string, InputState>>, pkgDir: string): string[] {
  return Object.keys(inputs).filter(
    (rel) =>
      rel === pkgDir ||
      posix.dirname(rel) === pkgDir ||
      rel === '.' ||
      pkgDir.startsWith(`${rel}/`) ||
      MODULE_FILES.has(posix.basename(rel)),
  );
}
