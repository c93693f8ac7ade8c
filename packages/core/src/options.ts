import { z } from 'zod';
import { TskoError, type CredentialSource, type RegistryTimeouts, type RetryPolicy } from '@tsko/registry';
import type { CoreEventHandler } from './events.js';
import { acceptedForms, unknownKeysMessage } from './option-messages.js';

const stringList = z.array(z.string());

const sinkSchema = z.discriminatedUnion('type', [
  /** An OCI image layout folder; the image is named by its first tag in index.json. */
  z.strictObject({ type: z.literal('layout'), path: z.string().min(1) }),
  /** A docker-archive tarball that `docker load` / `podman load` accept. */
  z.strictObject({ type: z.literal('tarball'), path: z.string().min(1) }),
  /** A Docker Engine API daemon on a unix socket (default DOCKER_HOST or /var/run/docker.sock). */
  z.strictObject({ type: z.literal('daemon'), socket: z.string().min(1).optional() }),
]);

/**
 * What to build and where to put it: plain data, validated. Anything left out falls back to
 * ko's environment variables, then `.ko.yaml`, then ko's defaults.
 */
export const buildPlanSchema = z.strictObject({
  /** Where `go` runs and `.ko.yaml` is found (default: process.cwd()). */
  dir: z.string().min(1).optional(),
  /** Target repository (else KO_DOCKER_REPO). `ko.local` loads into the local daemon. */
  repo: z.string().min(1).optional(),
  /** Base image for every import path (else KO_DEFAULTBASEIMAGE, `.ko.yaml`, ko's default). */
  baseImage: z.string().min(1).optional(),
  /** Base image per import path; merged over `.ko.yaml` baseImageOverrides. */
  baseImageOverrides: z.record(z.string(), z.string().min(1)).optional(),
  /** `os/arch[/variant]` list, or `'all'` for every platform of the base index. */
  platforms: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).optional(),
  /** Tags to push (default `latest`). */
  tags: z.array(z.string().min(1)).optional(),
  /** Refer to the image by tag only (no digest); needs exactly one tag. */
  tagOnly: z.boolean().optional(),
  naming: z.enum(['md5', 'preserveImportPaths', 'baseImportPaths', 'bare']).optional(),
  /** Extra `go build` environment (KEY=value), after `.ko.yaml` env so it wins. */
  env: stringList.optional(),
  /**
   * Let build settings name programs (`-toolexec`, `CC`, `GOFLAGS=-overlay=…`, …) from any
   * source, `.ko.yaml` included. Off by default: see "Trust model" in the README.
   */
  allowBuildPrograms: z.boolean().optional(),
  /** `go build` flags; replace `.ko.yaml` flags when given. */
  flags: stringList.optional(),
  /** Linker flags; replace `.ko.yaml` ldflags when given. */
  ldflags: stringList.optional(),
  /**
   * Build without optimizations or inlining (`-gcflags all=-N -l`), for a debugger; ko's
   * `--disable-optimizations`. Linker flags are left as they are.
   */
  disableOptimizations: z.boolean().optional(),
  /**
   * Put the Delve debugger in the image at `/ko-app/dlv` and start the program under it,
   * listening on port 40000 (ko's `--debug`). linux/amd64 and linux/arm64 only; other
   * platforms are built without it (a `build:debug-unsupported` event says so). Combine with
   * `disableOptimizations` for a useful session.
   */
  debug: z.boolean().optional(),
  /** Refuse a `.ko.yaml` with keys ko does not know (else each is a `config:unknown-key` event). */
  strictConfig: z.boolean().optional(),
  /** Container user (else the base's). */
  user: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** Manifest annotations, on each image and on an index (Docker schema 2 manifests too, as ko). */
  annotations: z.record(z.string(), z.string()).optional(),
  /** Push to the registry (default true). `false` builds and returns the reference ko prints for `--push=false` (`name:<first tag>@sha256:…`). */
  push: z.boolean().optional(),
  /** SPDX SBOM attached to each image and index (default `spdx`). */
  sbom: z.enum(['spdx', 'none']).optional(),
  /**
   * How SBOMs are attached: `tag` (cosign's `<repo>:sha256-<hex>.sbom`, as ko), `referrers`
   * (by digest only, found through the OCI 1.1 referrers API), or `both`. Default: `referrers`
   * when the registry answers the referrers API, else `tag`.
   */
  sbomAttachment: z.enum(['referrers', 'tag', 'both']).optional(),
  /** Also write each SBOM into this folder. */
  sbomDir: z.string().min(1).optional(),
  sinks: z.array(sinkSchema).optional(),
  /** Also write every published reference to this file, one per line, as ko's `--image-refs`. */
  imageRefsFile: z.string().min(1).optional(),
  /** A `.ko.yaml` file or folder (else KO_CONFIG_PATH, else `dir`). */
  configPath: z.string().min(1).optional(),
  /** The Go tool (else KO_GO_PATH, else `go`). */
  goBinary: z.string().min(1).optional(),
  /** Layer cache folder, or false for a throw-away one (default ~/.cache/tsko). */
  cacheDir: z.union([z.string().min(1), z.literal(false)]).optional(),
  /** Registries where plain HTTP is allowed (loopback always is). */
  insecureRegistries: z.array(z.string().min(1)).optional(),
  /** Extra CA certificates (PEM) for TLS registries. */
  ca: z.union([z.string(), z.array(z.string())]).optional(),
});

export type BuildPlan = z.infer<typeof buildPlanSchema>;
export type SinkSpec = z.infer<typeof sinkSchema>;

/** How to run it: never part of the validated plan. */
export interface ExecutionOptions {
  /** Parallel `go build`s (default: CPU count). Blob uploads use `pushConcurrency`. */
  concurrency?: number;
  /** Blob operations in flight per push (default 4). */
  pushConcurrency?: number;
  credentials?: CredentialSource;
  onEvent?: CoreEventHandler;
  signal?: AbortSignal;
  /** Environment to read KO_* variables from and to run `go` with (default process.env). */
  environment?: NodeJS.ProcessEnv;
  /** Registry time limits (defaults: connect 5 s, response 10 s, 20 s per request). */
  timeouts?: RegistryTimeouts;
  /** Registry retries (defaults: 6 attempts, back-off from 200 ms up to 5 s). */
  retry?: RetryPolicy;
}

export type PublishOptions = BuildPlan & ExecutionOptions;

const EXECUTION_KEYS = [
  'concurrency',
  'pushConcurrency',
  'credentials',
  'onEvent',
  'signal',
  'environment',
  'timeouts',
  'retry',
] as const;

/** Splits options into the validated plan and the execution settings. */
export function splitOptions(options: PublishOptions = {}): { plan: BuildPlan; exec: ExecutionOptions } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `options must be an object; got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`,
      { details: { field: '(options)' } },
    );
  }
  const planInput: Record<string, unknown> = {};
  const exec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if ((EXECUTION_KEYS as readonly string[]).includes(k)) exec[k] = v;
    else planInput[k] = v;
  }
  const parsed = buildPlanSchema.safeParse(planInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
      const known = [...Object.keys(buildPlanSchema.shape), ...EXECUTION_KEYS];
      throw new TskoError('TSKO_CONFIG_INVALID', unknownKeysMessage(issue.keys, known), {
        cause: parsed.error,
        details: { field: issue.keys[0]!, unknownKeys: issue.keys },
      });
    }
    const field = issue.path.join('.') || '(options)';
    const top = String(issue.path[0] ?? '');
    // A wrong shape (a string where a list goes) gets the accepted forms; a bad entry inside a
    // list keeps zod's precise message.
    const forms =
      issue.path.length >= 1 && !Array.isArray(planInput[top]) ? acceptedForms(top, planInput[top]) : undefined;
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw new TskoError('TSKO_CONFIG_INVALID', forms ?? `options.${field}: ${issue.message}${keys}.`, {
      cause: parsed.error,
      details: { field },
    });
  }
  checkExecution(exec);
  return { plan: parsed.data, exec: exec as ExecutionOptions };
}

/** Execution settings are not in the zod plan, so they are checked here, by hand. */
export function checkExecution(exec: Record<string, unknown>): void {
  for (const field of ['concurrency', 'pushConcurrency']) {
    const value = exec[field];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
      throw new TskoError(
        'TSKO_CONFIG_INVALID',
        `options.${field} must be a positive integer; got ${String(value).slice(0, 40)}.`,
        { details: { field } },
      );
    }
  }
  if (exec.onEvent !== undefined && typeof exec.onEvent !== 'function') {
    throw new TskoError('TSKO_CONFIG_INVALID', 'options.onEvent must be a function.', {
      details: { field: 'onEvent' },
    });
  }
  if (exec.signal !== undefined && !(exec.signal instanceof AbortSignal)) {
    throw new TskoError('TSKO_CONFIG_INVALID', 'options.signal must be an AbortSignal.', {
      details: { field: 'signal' },
    });
  }
  if (exec.environment !== undefined && (typeof exec.environment !== 'object' || exec.environment === null)) {
    throw new TskoError('TSKO_CONFIG_INVALID', 'options.environment must be an object of environment variables.', {
      details: { field: 'environment' },
    });
  }
}
