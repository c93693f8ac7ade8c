import type { z } from 'zod';
import type { NamingStrategy } from '../naming.js';
import type { SameType } from './same-type.js';
import { lazyRequire } from '../lazy-require.js';

const zod = lazyRequire<typeof import('zod')>('zod');

/**
 * What to build, as plain data: the same plan gives the same images wherever it runs. Anything
 * left out falls back to ko's environment variables, then `.ko.yaml`, then ko's defaults.
 * Where the result goes and how the work runs are {@link ExecutionOptions}.
 */
export interface BuildPlan {
  /** Folder where `go` runs and `.ko.yaml` is found; relative paths in other options are under it. Default: `process.cwd()`. */
  dir?: string;
  /** A `.ko.yaml` file, or a folder holding one. Mirrors `KO_CONFIG_PATH`. Default: `dir`. */
  configPath?: string;
  /**
   * Repository the images are named under (`registry.example.com/team`); `ko.local` loads into
   * the local daemon instead of pushing. Mirrors `KO_DOCKER_REPO`. Default: none (then
   * `push: false` or `naming` other than `bare` is needed).
   */
  repo?: string;
  /**
   * Base image of every import path: a registry reference, `oci-layout://PATH[:tag]` or
   * `scratch`. Mirrors `KO_DEFAULTBASEIMAGE` and `.ko.yaml` `defaultBaseImage`. Default:
   * `cgr.dev/chainguard/static:latest`.
   */
  baseImage?: string;
  /**
   * Base image per import path (keys match case-insensitively, as ko). Merged over
   * `KO_BASEIMAGEOVERRIDES` or `.ko.yaml` `baseImageOverrides`. Default: none.
   */
  baseImageOverrides?: Record<string, string>;
  /**
   * `os/arch[/variant]` list (one gives an image, several an index in the base's order), or
   * `'all'` for every platform of the base index. ko's `--platform`; mirrors
   * `KO_DEFAULTPLATFORMS` and `.ko.yaml` `defaultPlatforms`. Default: GOOS/GOARCH if both are
   * set, else `linux/amd64`.
   */
  platforms?: 'all' | string[];
  /** Tags given to each image, in order. ko's `--tags`. Default: `['latest']`. */
  tags?: string[];
  /** Refer to the image by its one tag, without a digest. ko's `--tag-only`. Default: `false`. */
  tagOnly?: boolean;
  /**
   * How the image is named under `repo`: `md5` (`<name>-<md5 of the import path>`),
   * `preserveImportPaths`, `baseImportPaths` or `bare`. ko's `--preserve-import-paths`,
   * `--base-import-paths`, `--bare`. Default: `md5`.
   */
  naming?: NamingStrategy;
  /**
   * Extra `go build` environment (`KEY=value`), appended after `.ko.yaml` `defaultEnv` and the
   * build's `env`, so it wins. Mirrors `KO_DEFAULTENV`. Default: none.
   */
  env?: string[];
  /** `go build` flags; replace `.ko.yaml` `defaultFlags` / the build's `flags`. Mirrors `KO_DEFAULTFLAGS`. Default: none. */
  flags?: string[];
  /**
   * Linker flags (templates, as ko's); replace `.ko.yaml` `defaultLdflags` / the build's
   * `ldflags`. Mirrors `KO_DEFAULTLDFLAGS`. Default: none.
   */
  ldflags?: string[];
  /**
   * Build without optimizations or inlining (`-gcflags all=-N -l`) for a debugger; linker flags
   * stay as they are. ko's `--disable-optimizations`. Default: `false`.
   */
  disableOptimizations?: boolean;
  /**
   * Put the Delve debugger in the image at `/ko-app/dlv` and start the program under it,
   * listening on port 40000. ko's `--debug`. linux/amd64 and linux/arm64 only; other platforms
   * are built without it (a `build:debug-unsupported` event says so). Combine with
   * `disableOptimizations` for a useful session. Default: `false`.
   */
  debug?: boolean;
  /**
   * Let build settings from any source, `.ko.yaml` included, name programs (`-toolexec`, `CC`,
   * `GOFLAGS=-overlay=…`, …). No ko equivalent (ko trusts `.ko.yaml`); see "Trust model" in the
   * README. Default: `false`.
   */
  allowBuildPrograms?: boolean;
  /** Refuse a `.ko.yaml` with keys ko does not know; else each is a `config:unknown-key` event. Default: `false`. */
  strictConfig?: boolean;
  /** The Go tool that builds. Mirrors `KO_GO_PATH`. Default: `go` on PATH. */
  goBinary?: string;
  /** Container user. ko's `--user`. Default: the base image's. */
  user?: string;
  /** Config labels. ko's `--image-label`. Default: none. */
  labels?: Record<string, string>;
  /** Manifest annotations, on each image and on an index. ko's `--image-annotation`. Default: none. */
  annotations?: Record<string, string>;
  /** SBOM made for each image and index: `spdx` or `none`. ko's `--sbom`. Default: `spdx`. */
  sbom?: 'spdx' | 'none';
}

/** The plan's option names, in the order the schema lists them. */
export const PLAN_KEYS = [
  'dir',
  'configPath',
  'repo',
  'baseImage',
  'baseImageOverrides',
  'platforms',
  'tags',
  'tagOnly',
  'naming',
  'env',
  'flags',
  'ldflags',
  'disableOptimizations',
  'debug',
  'allowBuildPrograms',
  'strictConfig',
  'goBinary',
  'user',
  'labels',
  'annotations',
  'sbom',
] as const satisfies readonly (keyof BuildPlan)[];
// Every option of the interface is listed (the schema agrees with the interface below).
const planKeysComplete: [Exclude<keyof BuildPlan, (typeof PLAN_KEYS)[number]>] extends [never] ? true : false = true;
void planKeysComplete;

/**
 * Validates a {@link BuildPlan}; internal, so that no zod type reaches the published `.d.ts`.
 * Built by the first check: loading zod is the larger part of importing this package.
 */
function buildPlanSchema() {
  const { z } = zod();
  const stringList = z.array(z.string());
  return z.strictObject({
    dir: z.string().min(1).optional(),
    configPath: z.string().min(1).optional(),
    repo: z.string().min(1).optional(),
    baseImage: z.string().min(1).optional(),
    baseImageOverrides: z.record(z.string(), z.string().min(1)).optional(),
    platforms: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).optional(),
    tags: z.array(z.string().min(1)).optional(),
    tagOnly: z.boolean().optional(),
    naming: z.enum(['md5', 'preserveImportPaths', 'baseImportPaths', 'bare']).optional(),
    env: stringList.optional(),
    flags: stringList.optional(),
    ldflags: stringList.optional(),
    disableOptimizations: z.boolean().optional(),
    debug: z.boolean().optional(),
    allowBuildPrograms: z.boolean().optional(),
    strictConfig: z.boolean().optional(),
    goBinary: z.string().min(1).optional(),
    user: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    sbom: z.enum(['spdx', 'none']).optional(),
  });
}

let planSchema: ReturnType<typeof buildPlanSchema> | undefined;

// The interface is what users read; the schema is what runs. They cannot drift apart.
const planAgrees: SameType<BuildPlan, z.infer<ReturnType<typeof buildPlanSchema>>> = true;
void planAgrees;

/** Validates a plan; failures come back as zod's issues, turned into messages by the caller. */
export function checkPlan(input: Record<string, unknown>): ParsedOptions<BuildPlan> {
  planSchema ??= buildPlanSchema();
  const parsed = planSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: parsed.error };
}

/** A validation outcome that names no zod type in its declaration. */
export type ParsedOptions<T> =
  | { ok: true; value: T }
  | { ok: false; error: Error & { issues: readonly OptionIssue[] } };

/** The parts of a validation issue that option messages use. */
export interface OptionIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}
