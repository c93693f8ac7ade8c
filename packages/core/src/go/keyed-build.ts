import { basename, dirname, sep } from 'node:path';
import { fileLayer, throwIfAborted, type Layer, type Platform } from '@tsko/registry';
import { appFilename, goBuildEnv, type GoBinary, type GoBuildRequest } from './build-binary.js';
import { type BuildInputs, fixedInputPaths, type ListInputsRequest } from './build-inputs.js';
import { buildKey, goToolIdentity, hashKey, keyedEnv, unkeyableBuild, vcsStampPossible } from './build-key.js';
import {
  type BuildRecord,
  type LayerRecord,
  recallBuild,
  recallResolution,
  rememberBuild,
  rememberLayer,
  rememberResolution,
} from './build-record.js';
import { type FileStamp, takeStamps } from './file-stamps.js';
import type { GoPackage } from './import-path.js';
import { checkBuildSettings } from './program-policy.js';
import { goProgram } from './run-go.js';

/** A binary and how it came to be: built now, reused because no input changed, or shared (and now recorded here). */
export type KeyedBinary = Omit<GoBinary, 'path'> & {
  /** True when no `go` process ran: every recorded input stamp still held, or the shared cache answered. */
  reused: boolean;
  /** Why this build cannot be reused by its inputs next time (cgo, `-a`, a VCS stamp, …). */
  unkeyable?: string;
  /** What a build that ran here read (paths, and their stamps from before it ran), for the shared cache. */
  inputs?: { paths: string[]; stamps: FileStamp[] };
} & (
    | { path: string; sharedLayer?: undefined }
    /** From the shared build cache (build-cache/), now or kept from an earlier call: the binary layer, and no binary file here. */
    | { path?: undefined; sharedLayer: Layer }
  );

/**
 * A build found in the shared cache (build-cache/shared-builds.ts), copied to this machine: its
 * binary layer (in the local blob store, still mountable from the cache) and build info, and
 * what the record says the build read, so that it is recorded here as a build that ran here is.
 */
export interface SharedBinary {
  layer: Layer;
  /** The layer's blob in the local store. */
  blobPath: string;
  /** How the layer was made from the program (binaryLayerRecipe). */
  recipe: string;
  buildInfo: string;
  /** The project files the record lists (absolute paths here). */
  inputs: string[];
  /**
   * Whether every input still holds what the record says, given the stamps the caller took
   * after the lookup: an input whose stamp is the one it had when the lookup hashed it is not
   * read again; any other is hashed afresh (after the stamps).
   */
  stillHolds(stamps: readonly FileStamp[]): Promise<boolean>;
}

/** Builds shared between machines, asked after a local miss. */
export interface BuildShare {
  find(): Promise<SharedBinary | undefined>;
}

/** A keyed build's request: a build's, its package resolved, and how its binary layer is made (see LayerRecord). */
export type KeyedRequest = GoBuildRequest & { resolved: GoPackage; layerRecipe?: string | undefined };

/** Where an import path was resolved from; the key of its resolution record. */
export interface ResolutionKey {
  ref: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  goBinary?: string | undefined;
}

/** How a keyed build runs Go when it must: in rounds shared with the other builds of a publish (`go-batches.ts`). */
export interface KeyedSteps {
  listInputs(request: ListInputsRequest): Promise<BuildInputs>;
  build(request: GoBuildRequest & { resolved: GoPackage }): Promise<GoBinary>;
}

async function resolutionKey(r: ResolutionKey): Promise<string | undefined> {
  const tool = await goToolIdentity(goProgram(r.goBinary, r.env), r.env);
  return tool && hashKey(['resolve-v1', r.ref, r.dir, keyedEnv(r.env), tool]);
}

/**
 * An import path named from the record of an earlier build when nothing `go list` reads has
 * changed since (no `go` process then), else from the shared cache, else by `resolve`.
 */
export async function resolveKeyed(
  r: ResolutionKey,
  cacheRoot: string,
  signal: AbortSignal | undefined,
  resolve: (r: ResolutionKey & { signal?: AbortSignal | undefined }) => Promise<GoPackage>,
  shared?: () => Promise<GoPackage | undefined>,
): Promise<GoPackage> {
  // Cancellation is honoured on the answered path too: no go process is there to kill.
  throwIfAborted(signal);
  const key = await resolutionKey(r);
  const known = (key && (await recallResolution(cacheRoot, key))) || (await shared?.());
  if (known) return known;
  return resolve({ ...r, signal });
}

const MODULE_FILES = new Set(['go.mod', 'go.sum', 'go.work', 'go.work.sum', 'modules.txt']);

/**
 * The part of a build's stamps that `go list` reads to name a package: the module and
 * workspace files, the package folder and the folders above it, and the files in it (their
 * package clause). An edit elsewhere (a library package, an embed below) then leaves the
 * resolution standing, and a changed build runs `go list -deps` and `go build` only.
 */
function resolutionInputs(stamps: readonly FileStamp[], pkgDir: string): FileStamp[] {
  return stamps.filter(
    (s) =>
      dirname(s.path) === pkgDir ||
      s.path === pkgDir ||
      pkgDir.startsWith(s.path + sep) ||
      MODULE_FILES.has(basename(s.path)),
  );
}

/**
 * `buildGoBinary` keyed by its inputs: when an earlier build had the same import path,
 * platform, environment, flags, ldflags and Go tool, and every file it read still has the
 * stamp it had, its binary is returned and neither `go list` nor `go build` runs. Otherwise
 * the shared cache is asked, then the inputs are listed and stamped first, `go build` runs,
 * and the build is recorded (stamps from before the build: a file edited during it shows as
 * changed next time). A build the shared cache answered is recorded the same way, so the next
 * one here is answered without the registry.
 */
export async function keyedGoBinary(
  request: KeyedRequest,
  cacheRoot: string,
  resolution: ResolutionKey,
  steps: KeyedSteps,
  share?: BuildShare,
): Promise<KeyedBinary> {
  throwIfAborted(request.signal);
  const dir = request.dir ?? process.cwd();
  const baseEnv = request.baseEnv ?? process.env;
  const flags = request.flags ?? [];
  const ldflags = request.ldflags ?? [];
  // The same refusals as a real build, so a record never lets a now-forbidden setting through.
  checkBuildSettings(request);
  const env = goBuildEnv(request.platform, baseEnv, request.env ?? []);
  const program = goProgram(request.goBinary, baseEnv);
  const tool = await goToolIdentity(program, env);
  const blocked = tool ? unkeyableBuild(env, flags) : `the Go tool ${program} was not found as a file`;
  if (blocked) return { ...(await steps.build(request)), reused: false, unkeyable: blocked };

  const importPath = request.resolved.importPath;
  const key = buildKey({ importPath, platform: request.platform, dir, env, flags, ldflags, tool: tool! });
  const known = await recallBuild(cacheRoot, key, request.layerRecipe);
  if (known) return recalled(known, request.platform);
  const shared = await share?.find();
  if (shared) {
    const binary = { appName: appFilename(importPath), importPath, packageDir: request.resolved.dir };
    // What a listing here would name: the files the record lists (the same inside the project,
    // whose inputs all hold) and the paths any build reads outside it. The lookup hashed the
    // inputs before these stamps, so a file edited in between (while the layer was copied, say)
    // would be recorded here against a binary built from other sources: stillHolds checks that
    // what the stamps describe is what the record says (by stamp where nothing moved, else by
    // content), as a real build's inputs are stamped before go build.
    const fixed = fixedInputPaths({ dir, env, mainDir: request.resolved.dir, vcs: vcsStampPossible(env, flags) });
    const stamps = await takeStamps([...shared.inputs, ...fixed]);
    if (await shared.stillHolds(stamps)) {
      const { layer } = shared;
      const kept = { path: shared.blobPath, digest: layer.digest, diffId: layer.diffId, size: layer.size };
      const source = layer.source ? { source: layer.source } : {};
      const facts = { ...binary, buildInfo: shared.buildInfo };
      await rememberLayer(cacheRoot, key, facts, { ...kept, ...source, recipe: shared.recipe }, stamps);
      await rememberResolved(cacheRoot, stamps, request.resolved, resolution);
    }
    const platform = request.platform;
    return { ...binary, platform, buildInfo: shared.buildInfo, sharedLayer: shared.layer, reused: true };
  }

  const listed = await steps.listInputs({
    program,
    importPath,
    dir,
    env,
    flags,
    vcs: vcsStampPossible(env, flags),
    signal: request.signal,
  });
  const paths = 'paths' in listed ? listed.paths : undefined;
  const stamps = paths && (await takeStamps(paths));
  const binary = await steps.build(request);
  if (!paths || !stamps) return { ...binary, reused: false, unkeyable: 'unkeyable' in listed ? listed.unkeyable : '' };
  // A VCS stamp reads the repository's state, which is not among the listed files.
  if (/^\tbuild\tvcs[.=]/m.test(binary.buildInfo)) {
    return { ...binary, reused: false, unkeyable: 'the binary carries a VCS stamp (set -buildvcs=false to key it)' };
  }
  await rememberBuild(cacheRoot, key, binary, stamps);
  await rememberResolved(cacheRoot, stamps, request.resolved, resolution);
  return { ...binary, reused: false, inputs: { paths, stamps } };
}

/** A recorded build as the image needs it: its program, or the layer kept from the shared cache. */
function recalled(known: BuildRecord | LayerRecord, platform: Platform): KeyedBinary {
  if (!('layer' in known)) return { ...known.binary, platform, reused: true };
  const { path, recipe: _recipe, ...layer } = known.layer;
  return { ...known.binary, platform, sharedLayer: fileLayer(path, layer), reused: true };
}

/** Records the resolution of a build's import path, by the stamps of what `go list` reads among its inputs. */
async function rememberResolved(
  cacheRoot: string,
  stamps: FileStamp[],
  resolved: GoPackage,
  resolution: ResolutionKey,
): Promise<void> {
  const rKey = await resolutionKey(resolution);
  if (rKey) await rememberResolution(cacheRoot, rKey, resolved, resolutionInputs(stamps, resolved.dir));
}
