import { z } from 'zod';
import { isDigest, type Digest } from './digest.js';
import { TskoError } from './errors.js';

/**
 * Schemas for everything read from a registry, a layout or a tarball. They check the fields we
 * rely on and pass unknown fields through untouched (`loose`), because manifests we pull are
 * kept byte for byte and other tools add fields we must not drop.
 */
// Digests name blobs in URLs (`/v2/<repo>/blobs/<digest>`) and files (`blobs/sha256/<hex>`), so
// only the forms we can verify and that cannot carry a path pass: lowercase sha256/sha512 hex of
// the right length. A manifest naming `sha256:../../x` is refused here, before any field is used.
// Typed as Digest, so parsed descriptors need no casts where their digests are used.
const digestString = z.custom<Digest>(
  (value) => typeof value === 'string' && isDigest(value),
  'not a sha256:<64 hex> or sha512:<128 hex> digest',
);

export const platformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

export const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: digestString,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: platformSchema.optional(),
  artifactType: z.string().optional(),
});

export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const imageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const historySchema = z.looseObject({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

export const imageConfigSchema = z.looseObject({
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

export type Platform = z.infer<typeof platformSchema>;
export type Descriptor = z.infer<typeof descriptorSchema>;
export type ImageManifest = z.infer<typeof imageManifestSchema>;
export type ImageIndexManifest = z.infer<typeof imageIndexSchema>;
export type ImageConfig = z.infer<typeof imageConfigSchema>;
export type History = z.infer<typeof historySchema>;

/** Parses JSON bytes against a schema; failures are `TSKO_INVALID_MANIFEST` naming `what`. */
export function parseJson<T>(schema: z.ZodType<T>, bytes: Uint8Array | string, what: string): T {
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
