import type { z } from 'zod';
import type { CredentialSource, RegistryEvent, RegistryTimeouts, RetryPolicy } from '@tsko/registry';
import type { CoreEvent } from '../events.js';
import type { SameType } from './same-type.js';
import type { ParsedOptions } from './plan.js';
import { lazyRequire } from '../lazy-require.js';

const zod = lazyRequire<typeof import('zod')>('zod');

/** An OCI image layout folder; each tag names the image in its index.json as `<repo>:<tag>`. ko's `--oci-layout-path`. */
export interface LayoutSink {
  type: 'layout';
  /** The layout folder, relative to `dir`; made when missing. */
  path: string;
}

/** A docker-archive tarball that `docker load` / `podman load` accept. ko's `--tarball`. */
export interface TarballSink {
  type: 'tarball';
  /** The tarball file, relative to `dir`; replaced when it exists. */
  path: string;
}

/** A Docker Engine API daemon on a unix socket; ko's `ko.local` target. */
export interface DaemonSink {
  type: 'daemon';
  /** The daemon's socket (`unix://` optional). Default: `DOCKER_HOST` (unix only), else `/var/run/docker.sock`. */
  socket?: string;
}

/**
 * A registry repository where builds are shared between machines by their inputs (no ko
 * equivalent: KOCACHE is a local folder, ko#1497). After a real build, its binary layer and
 * a record of every input (project-relative paths with their content hashes) are pushed as an
 * OCI artifact tagged by a portable key; a machine whose own cache misses reads the record,
 * and when every input matches its checkout, uses the layer (mounted from this repository
 * when the image goes to the same registry) without running `go list` or `go build`. The
 * repository's writers are trusted like the machines that build: whoever can push there can
 * put a binary into your images. Credentials and TLS are those of the push.
 */
export interface BuildCacheOptions {
  /** The cache repository, e.g. `registry.example.com/team/tsko-build-cache`. */
  repo: string;
  /** Store this machine's builds there too (false: only read, e.g. for untrusted branches). Default: `true`. */
  write?: boolean;
}

/** Somewhere besides the registry that each published image is also written to. */
export type SinkSpec = LayoutSink | TarballSink | DaemonSink;

/**
 * Where the built images go and how the work runs: targets, caches, registry access,
 * concurrency, time limits, cancellation and progress. None of it changes what is built.
 */
export interface ExecutionOptions {
  /**
   * Push to the registry under `repo`. `false` builds and returns the reference ko prints for
   * `--push=false` (`<name>:<first tag>@sha256:…`). ko's `--push`. Default: `true`.
   */
  push?: boolean;
  /** Also write each image to these targets (OCI layout, docker tarball, daemon). Default: none. */
  sinks?: SinkSpec[];
  /**
   * How SBOMs are attached in the registry: `tag` (cosign's `<repo>:sha256-<hex>.sbom`, as ko),
   * `referrers` (by digest, found through the OCI 1.1 referrers API) or `both`. No ko flag.
   * Default: `referrers` where the registry answers the referrers API, else `tag`.
   */
  sbomAttachment?: 'referrers' | 'tag' | 'both';
  /** Also write each SBOM (`<app>-<os>-<arch>.spdx.json`) into this folder, relative to `dir`. Default: none. */
  sbomDir?: string;
  /** Also write every published reference to this file, one per line, relative to `dir`. ko's `--image-refs`. Default: none. */
  imageRefsFile?: string;
  /**
   * Layer cache folder, relative to `dir`, or `false` for a throw-away one removed when the
   * call ends. No ko equivalent (ko keeps no layer cache). Default: `$XDG_CACHE_HOME/tsko`, else `~/.cache/tsko`.
   */
  cacheDir?: string | false;
  /** Share builds between machines through a registry repository (see {@link BuildCacheOptions}). Default: none. */
  buildCache?: BuildCacheOptions;
  /**
   * Registries (`host[:port]`) where plain HTTP is allowed after HTTPS fails; loopback always
   * is. ko's `--insecure-registry`. Default: none.
   */
  insecureRegistries?: string[];
  /** Extra CA certificates (PEM text) trusted for TLS registries, besides Node's. Default: none. */
  ca?: string | string[];
  /** Parallel `go build`s. ko's `--jobs`. Default: the CPU count. */
  concurrency?: number;
  /** Blob uploads and mounts in flight per push. Default: 4. */
  pushConcurrency?: number;
  /**
   * Registry credentials by host, or a function of the host; they win over docker and
   * containers config files and credential helpers. Default: those files, as ko reads them.
   */
  credentials?: CredentialSource;
  /** Receives every progress event (build, layer, push, blob); the library never prints. Default: none. */
  onEvent?: (event: CoreEvent | RegistryEvent) => void;
  /** Cancels the work: builds stop, requests end, temporary files go. Default: none. */
  signal?: AbortSignal;
  /** Environment for the KO_* variables, `go` and credential lookup. Default: `process.env`. */
  environment?: NodeJS.ProcessEnv;
  /** Registry time limits. Default: connect 5 s, response 10 s, 20 s per request. */
  timeouts?: RegistryTimeouts;
  /** Registry retries. Default: 6 attempts, back-off from 200 ms up to 5 s. */
  retry?: RetryPolicy;
}

/** `got …` for a message: short, and never the value of something that may hold a secret. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' || typeof value === 'function') return typeof value;
  return String(value).slice(0, 40);
}

/** The execution option names, in the order the schema lists them. */
export const EXECUTION_KEYS = [
  'push',
  'sinks',
  'sbomAttachment',
  'sbomDir',
  'imageRefsFile',
  'cacheDir',
  'buildCache',
  'insecureRegistries',
  'ca',
  'concurrency',
  'pushConcurrency',
  'credentials',
  'onEvent',
  'signal',
  'environment',
  'timeouts',
  'retry',
] as const satisfies readonly (keyof ExecutionOptions)[];
const executionKeysComplete: [Exclude<keyof ExecutionOptions, (typeof EXECUTION_KEYS)[number]>] extends [never]
  ? true
  : false = true;
void executionKeysComplete;

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates {@link ExecutionOptions}; live values (functions, signals) are checked by kind.
 * Built by the first check, as the plan's schema is.
 */
function buildExecutionSchemas() {
  const { z } = zod();
  /** A live value checked by kind; `secret` values are described by their type alone. */
  const custom = <T>(expected: string, check: (value: unknown) => boolean, secret = false) => {
    const got = (v: unknown) => (secret ? (v === null ? 'null' : typeof v) : shown(v));
    return z.custom<T>(check, { error: (issue) => `must be ${expected}; got ${got(issue.input)}` }).optional();
  };
  const sink = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('layout'), path: z.string().min(1) }),
    z.strictObject({ type: z.literal('tarball'), path: z.string().min(1) }),
    z.strictObject({ type: z.literal('daemon'), socket: z.string().min(1).optional() }),
  ]);
  const execution = z.strictObject({
    push: z.boolean().optional(),
    sinks: z.array(sink).optional(),
    sbomAttachment: z.enum(['referrers', 'tag', 'both']).optional(),
    sbomDir: z.string().min(1).optional(),
    imageRefsFile: z.string().min(1).optional(),
    cacheDir: z.union([z.string().min(1), z.literal(false)]).optional(),
    buildCache: z.strictObject({ repo: z.string().min(1), write: z.boolean().optional() }).optional(),
    insecureRegistries: z.array(z.string().min(1)).optional(),
    ca: z.union([z.string(), z.array(z.string())]).optional(),
    concurrency: custom<number>('a positive integer', (v) => Number.isInteger(v) && (v as number) > 0),
    pushConcurrency: custom<number>('a positive integer', (v) => Number.isInteger(v) && (v as number) > 0),
    credentials: custom<CredentialSource>(
      'an object of credentials by registry, or a function of the registry',
      (v) => isObject(v) || typeof v === 'function',
      true,
    ),
    onEvent: custom<(event: CoreEvent | RegistryEvent) => void>('a function', (v) => typeof v === 'function'),
    signal: custom<AbortSignal>('an AbortSignal', (v) => v instanceof AbortSignal),
    environment: custom<NodeJS.ProcessEnv>('an object of environment variables', isObject, true),
    timeouts: custom<RegistryTimeouts>('an object such as { requestMs: 20000 }', isObject),
    retry: custom<RetryPolicy>('an object such as { attempts: 3 }', isObject),
  });
  return { execution, sink };
}

type ExecutionSchemas = ReturnType<typeof buildExecutionSchemas>;
let schemas: ExecutionSchemas | undefined;

const executionAgrees: SameType<ExecutionOptions, z.infer<ExecutionSchemas['execution']>> = true;
void executionAgrees;
const sinkAgrees: SameType<SinkSpec, z.infer<ExecutionSchemas['sink']>> = true;
void sinkAgrees;

/** Validates execution options; failures come back as issues, turned into messages by the caller. */
export function checkExecutionOptions(input: Record<string, unknown>): ParsedOptions<ExecutionOptions> {
  schemas ??= buildExecutionSchemas();
  const parsed = schemas.execution.safeParse(input);
  // The parsed copy is not used: it would be the same objects, and a signal must stay the caller's own.
  return parsed.success ? { ok: true, value: input as ExecutionOptions } : { ok: false, error: parsed.error };
}
