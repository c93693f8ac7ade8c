import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The binary of an earlier build with this key, when none of its inputs nor the binary changed. */
export async function recallBuild(cacheRoot: string, key: string): Promise<BuildRecord | undefined> {
  const record = await readRecord<BuildRecord>(cacheRoot, key);
  if (!record?.binaryStamp || !Array.isArray(record.inputs)) return undefined;
  return (await stampsHold([record.binaryStamp, ...record.inputs])) ? record : undefined;
}

/** Remembers a build whose inputs were stamped before it ran. */
export async function rememberBuild(
  cacheRoot: string,
  key: string,
  binary: GoBinary,
  inputs: FileStamp[],
): Promise<void> {
  // Only go build (or a copy from the shared cache) writes into the binary's folder, which is
  // one per key (build-batch.ts outputDir, keyed-build.ts shared-bin):
  // a rewrite in the same clock tick with the same size is not a case to pay for by hashing
  // the whole binary on every no-op.
  const { racyHash: _racy, ...binaryStamp } = (await takeStamps([binary.path]))[0]!;
  const { platform: _platform, ...rest } = binary;
  await writeRecord(cacheRoot, key, { binary: rest, binaryStamp, inputs } satisfies BuildRecord);
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
