import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobSource, Digest } from '@tsko/registry';
import type { FileStamp } from './file-stamps.js';
import { stampsHold, takeStamps } from './file-stamps.js';
import type { GoBinary } from './build-binary.js';
import type { GoPackage } from './import-path.js';

/**
 * Records of earlier builds by their input key, in the cache folder: what was built, and the
 * stamps of every file it read. Versioned by folder name; a record that does not parse is
 * ignored. The folder can be deleted at any time.
 */
const RECORD_DIR = 'inputs-v1';

/** A finished build and the stamps of its inputs (taken before `go build` ran). */
export interface BuildRecord {
  binary: Omit<GoBinary, 'platform'>;
  /** The stamp of the binary as `go build` left it: a changed binary is not ours any more. */
  binaryStamp: FileStamp;
  inputs: FileStamp[];
}

/**
 * A build the shared cache answered (build-cache/): the binary's facts and its layer, copied
 * into the local blob store, with the stamps of what a build here would have read. No program
 * file: the layer is what the image needs. It was made from the program by `layer.recipe`
 * (layer format, capabilities); a build that would make it otherwise does not take it.
 */
export interface LayerRecord {
  binary: Omit<GoBinary, 'platform' | 'path'>;
  layer: { path: string; digest: Digest; diffId: Digest; size: number; source?: BlobSource; recipe: string };
  /** The stamp of the blob as the copy left it. */
  layerStamp: FileStamp;
  inputs: FileStamp[];
}

/** A resolved import path, valid while the same inputs hold. */
export interface ResolutionRecord {
  pkg: GoPackage;
  inputs: FileStamp[];
}

function recordPath(cacheRoot: string, key: string): string {
  return join(cacheRoot, RECORD_DIR, `${key}.json`);
}

async function readRecord<T>(cacheRoot: string, key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(cacheRoot, key), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes a record atomically (a reader sees the old one or the new one, never half). */
async function writeRecord(cacheRoot: string, key: string, record: unknown): Promise<void> {
  const file = recordPath(cacheRoot, key);
  await mkdir(join(cacheRoot, RECORD_DIR), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, file);
}

/**
 * The binary (or the layer, `recipe` permitting) of an earlier build with this key, when none
 * of its inputs nor the binary or blob changed.
 */
export async function recallBuild(
  cacheRoot: string,
  key: string,
  recipe: string | undefined,
): Promise<BuildRecord | LayerRecord | undefined> {
  const record = await readRecord<Partial<BuildRecord & LayerRecord>>(cacheRoot, key);
  if (!record?.binary || !Array.isArray(record.inputs)) return undefined;
  const own = record.binaryStamp ?? (recipe && record.layer?.recipe === recipe ? record.layerStamp : undefined);
  if (!own) return undefined;
  return (await stampsHold([own, ...record.inputs])) ? (record as BuildRecord | LayerRecord) : undefined;
}

/** Remembers a build whose inputs were stamped before it ran. */
export async function rememberBuild(
  cacheRoot: string,
  key: string,
  binary: GoBinary,
  inputs: FileStamp[],
): Promise<void> {
  // Only go build writes into the binary's folder, which is one per key (build.ts binaryDir):
  // a rewrite in the same clock tick with the same size is not a case to pay for by hashing
  // the whole binary on every no-op.
  const { racyHash: _racy, ...binaryStamp } = (await takeStamps([binary.path]))[0]!;
  const { platform: _platform, ...rest } = binary;
  await writeRecord(cacheRoot, key, { binary: rest, binaryStamp, inputs } satisfies BuildRecord);
}

/** Remembers a build the shared cache answered, by the stamps of what a build here would read. */
export async function rememberLayer(
  cacheRoot: string,
  key: string,
  binary: LayerRecord['binary'],
  layer: LayerRecord['layer'],
  inputs: FileStamp[],
): Promise<void> {
  // The store only renames whole, digest-checked blobs into place: as for the binary above.
  const { racyHash: _racy, ...layerStamp } = (await takeStamps([layer.path]))[0]!;
  await writeRecord(cacheRoot, key, { binary, layer, layerStamp, inputs } satisfies LayerRecord);
}

/** The package an import path resolved to, when nothing it was resolved from changed. */
export async function recallResolution(cacheRoot: string, key: string): Promise<GoPackage | undefined> {
  const record = await readRecord<ResolutionRecord>(cacheRoot, key);
  if (!record?.pkg || !Array.isArray(record.inputs)) return undefined;
  return (await stampsHold(record.inputs)) ? record.pkg : undefined;
}

/**
 * Remembers a resolution with the stamps of a build of it: they cover the main package's
 * folder and every file in it (ignored ones too), the folders up to its module root, go.mod
 * and any go.work, which is all `go list` reads to name a package.
 */
export function rememberResolution(cacheRoot: string, key: string, pkg: GoPackage, inputs: FileStamp[]): Promise<void> {
  return writeRecord(cacheRoot, key, { pkg, inputs } satisfies ResolutionRecord);
}
