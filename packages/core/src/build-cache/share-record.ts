import { canonicalJsonBytes, isDigest, type Digest } from '@tsko/registry';
import { lazyRequire } from '../lazy-require.js';

// zod loads with the first record read, not at import (see lazy-require.ts).
const zod = lazyRequire<typeof import('zod')>('zod');

/** The config media type of a shared build: the artifact's kind in the cache repository. */
export const BUILD_RECORD_MEDIA_TYPE = 'application/vnd.tsko.build.v1+json';

/**
 * What a machine that built a program leaves for others, as the config of an artifact whose
 * one layer is the binary layer exactly as the image holds it. Every path is relative to the
 * project folder, so it holds wherever the project is checked out.
 */
export interface BuildRecord {
  /** The build tag it was stored under (a record under another tag is not this build's). */
  tag: string;
  /** The package the import path named, its folder relative to the project folder. */
  package: { importPath: string; name: string; dir: string; module?: string | undefined };
  /** The import path as asked (`./cmd/app`, `ko://…`) and its resolution tag. */
  resolution: { ref: string; tag: string };
  /** Every input inside the project folder and what it held (see portable-inputs.ts). */
  inputs: Record<string, string>;
  /** Names that no folder above the project folder may hold (VCS markers Go would stamp from). */
  absentAbove: string[];
  /** `go version -m` of the binary, for the SBOM. */
  buildInfo: string;
  /** The binary layer's uncompressed digest (an artifact's manifest names only the blob). */
  diffId: Digest;
}

/** The schema of a record, built by the first read. */
function buildRecordSchema() {
  const { z } = zod();
  const digest = z.custom<Digest>((v) => typeof v === 'string' && isDigest(v), 'not a digest');
  const relPath = z.string().refine((p) => p === '.' || !/(^|\/)\.\.(\/|$)|^\//.test(p), 'not a project-relative path');
  return z.object({
    tag: z.string(),
    package: z.object({
      importPath: z.string().min(1),
      name: z.string(),
      dir: relPath,
      module: z.string().optional(),
    }),
    resolution: z.object({ ref: z.string(), tag: z.string() }),
    inputs: z.record(relPath, z.string()),
    absentAbove: z.array(z.string().regex(/^[^/\\]+$/)),
    buildInfo: z.string(),
    diffId: digest,
  });
}
let recordSchema: ReturnType<typeof buildRecordSchema> | undefined;

/** The config bytes of a record (canonical JSON: equal records, equal digests). */
export function encodeRecord(record: BuildRecord): Buffer {
  return canonicalJsonBytes(record);
}

/** A record read from the cache, or undefined when it is not one (garbage, another version). */
export function decodeRecord(bytes: Buffer): BuildRecord | undefined {
  try {
    recordSchema ??= buildRecordSchema();
    const parsed = recordSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    return parsed.success ? (parsed.data as BuildRecord) : undefined;
  } catch {
    return undefined;
  }
}
