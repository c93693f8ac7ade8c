import type { z } from 'zod';
import { isDigest, type Digest } from './digest.js';
import { TskoError } from './errors.js';
import { lazyRequire } from './lazy-modules.js';

const zod = lazyRequire<typeof import('zod')>('zod');

/**
 * Schemas for everything read from a registry, a layout or a tarball. They check the fields we
 * rely on and pass unknown fields through untouched (`loose`), because manifests we pull are
 * kept byte for byte and other tools add fields we must not drop. Built on first use: zod
 * costs ~130 ms to load, and most imports of this package never parse a manifest.
 */
function buildShapes() {
  const { z } = zod();
  // Digests name blobs in URLs (`/v2/<repo>/blobs/<digest>`) and files (`blobs/sha256/<hex>`), so
  // only the forms we can verify and that cannot carry a path pass: lowercase sha256/sha512 hex of
  // the right length. A manifest naming `sha256:../../x` is refused here, before any field is used.
  // Typed as Digest, so parsed descriptors need no casts where their digests are used.
  const digestString = z.custom<Digest>(
    (value) => typeof value === 'string' && isDigest(value),
    'not a sha256:<64 hex> or sha512:<128 hex> digest',
  );

  const platformShape = z.looseObject({
    architecture: z.string(),
    os: z.string(),
    'os.version': z.string().optional(),
    'os.features': z.array(z.string()).optional(),
    variant: z.string().optional(),
    features: z.array(z.string()).optional(),
  });

  const descriptorShape = z.looseObject({
    mediaType: z.string(),
    digest: digestString,
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    platform: platformShape.optional(),
    artifactType: z.string().optional(),
  });

  const imageManifestShape = z.looseObject({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: descriptorShape,
    layers: z.array(descriptorShape),
    subject: descriptorShape.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  });

  const imageIndexShape = z.looseObject({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    manifests: z.array(descriptorShape),
    subject: descriptorShape.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  });

  const historySchema = z.looseObject({
    created: z.string().optional(),
    created_by: z.string().optional(),
    author: z.string().optional(),
    comment: z.string().optional(),
    empty_layer: z.boolean().optional(),
  });

  const imageConfigShape = z.looseObject({
    architecture: z.string(),
    os: z.string(),
    variant: z.string().optional(),
    'os.version': z.string().optional(),
    created: z.string().optional(),
    author: z.string().optional(),
    config: z
      .looseObject({
        User: z.string().optional(),
        Env: z.array(z.string()).nullish(),
        Entrypoint: z.array(z.string()).nullish(),
        Cmd: z.array(z.string()).nullish(),
        WorkingDir: z.string().optional(),
        Labels: z.record(z.string(), z.string()).nullish(),
        ExposedPorts: z.record(z.string(), z.object({})).nullish(),
        Volumes: z.record(z.string(), z.object({})).nullish(),
        StopSignal: z.string().optional(),
      })
      .optional(),
    rootfs: z.looseObject({ type: z.string(), diff_ids: z.array(digestString) }),
    history: z.array(historySchema).optional(),
  });

  return {
    platform: platformShape,
    descriptor: descriptorShape,
    imageManifest: imageManifestShape,
    imageIndex: imageIndexShape,
    history: historySchema,
    imageConfig: imageConfigShape,
  };
}

type Shapes = ReturnType<typeof buildShapes>;
let shapes: Shapes | undefined;

/** A schema whose zod object is built the first time it parses something. */
function lazySchema<T>(pick: (built: Shapes) => JsonSchema<T>): JsonSchema<T> {
  return {
    safeParse(value) {
      shapes ??= buildShapes();
      return pick(shapes).safeParse(value);
    },
  };
}

/** An OCI platform (`os`, `architecture`, optional `variant`, …); other fields are kept. */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
  [field: string]: unknown;
}

/** An OCI content descriptor; other fields are kept. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  [field: string]: unknown;
}

/** An OCI image manifest (or Docker schema 2 manifest); other fields are kept. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** An OCI image index (or Docker manifest list); other fields are kept. */
export interface ImageIndexManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** One entry of an image config's history. */
export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
  [field: string]: unknown;
}

/** An OCI image config; other fields are kept. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    /** `{ "8080/tcp": {} }`: each value is an empty object, as Docker writes it. */
    ExposedPorts?: Record<string, Record<string, never>> | null;
    Volumes?: Record<string, Record<string, never>> | null;
    StopSignal?: string;
    [field: string]: unknown;
  };
  rootfs: { type: string; diff_ids: Digest[]; [field: string]: unknown };
  history?: History[];
  [field: string]: unknown;
}

/**
 * A validator of parsed JSON: zod inside, our own type outside, so that no zod type is part of
 * the published declarations.
 */
export interface JsonSchema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: Error & { issues: readonly JsonIssue[] } };
}

/** Where a value failed its schema, and why. */
export interface JsonIssue {
  path: PropertyKey[];
  message: string;
}

// The interfaces are what people read; the schemas are what runs. Mutual assignability keeps
// them from drifting apart (the schemas' inferred types are checked against the interfaces).
export const platformSchema: JsonSchema<Platform> = lazySchema((b) => b.platform);
export const descriptorSchema: JsonSchema<Descriptor> = lazySchema((b) => b.descriptor);
export const imageManifestSchema: JsonSchema<ImageManifest> = lazySchema((b) => b.imageManifest);
export const imageIndexSchema: JsonSchema<ImageIndexManifest> = lazySchema((b) => b.imageIndex);
export const imageConfigSchema: JsonSchema<ImageConfig> = lazySchema((b) => b.imageConfig);
type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Agrees<Platform, z.infer<Shapes['platform']>>,
  Agrees<Descriptor, z.infer<Shapes['descriptor']>>,
  Agrees<ImageManifest, z.infer<Shapes['imageManifest']>>,
  Agrees<ImageIndexManifest, z.infer<Shapes['imageIndex']>>,
  Agrees<ImageConfig, z.infer<Shapes['imageConfig']>>,
  Agrees<History, z.infer<Shapes['history']>>,
  // The lazy schemas are still assignable from the zod objects they stand for.
  Shapes['descriptor'] extends JsonSchema<Descriptor> ? true : false,
] = [true, true, true, true, true, true, true];
void agree;

/** Parses JSON bytes against a schema; failures are `TSKO_INVALID_MANIFEST` naming `what`. */
export function parseJson<T>(schema: JsonSchema<T>, bytes: Uint8Array | string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new TskoError('TSKO_INVALID_MANIFEST', `${what} is not valid JSON.`, { cause });
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new TskoError('TSKO_INVALID_MANIFEST', `${what} is malformed at ${path}: ${issue?.message}.`, {
      cause: result.error,
    });
  }
  return result.data;
}
