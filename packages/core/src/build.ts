import pLimit, { type LimitFunction } from 'p-limit';
import {
  formatPlatform,
  guarded,
  ImageIndex,
  MediaType,
  RegistrySession,
  type Image,
  type Platform,
} from '@tsko/registry';
import { effectiveBuild, expandBuild, matchBuildConfigs, usesTemplates } from './config/build-configs.js';
import { DEFAULT_BASE_IMAGE, resolveSettings, type Settings } from './config/settings.js';
import { baseImageError } from './base-image-errors.js';
import { hostFacts, templateData } from './config/template-data.js';
import { emitCore, type CoreEvent } from './events.js';
import { appFilename, goBuildEnv } from './go/build-binary.js';
import { GoBatches, type ProgramPassage } from './go/go-batches.js';
import { stripKoPrefix } from './go/import-path.js';
import { keyedGoBinary, resolveKeyed, type KeyedBinary } from './go/keyed-build.js';
import { resolveBase, type ResolvedBase } from './image/base-image.js';
import { SharedBuilds, type PlatformShare } from './build-cache/shared-builds.js';
import { binaryLayerRecipe } from './build-cache/portable-key.js';
import { targetsFor } from './platform-targets.js';
import { platformImage } from './platform-image.js';
import { splitOptions, type PublishOptions } from './options.js';
import { resolveRuntime, type Runtime } from './config/runtime.js';
import { removeTempDir } from './temp-dirs.js';

/** One platform image of a build, with what the SBOM needs. */
export interface PlatformBuild {
  platform: Platform;
  image: Image;
  /** `go version -m` output of the binary. */
  buildInfo: string;
}

/** An image (one platform) or index (several) built from one import path, not yet pushed. */
export interface BuildResult {
  /** The import path as `go list` resolved it. */
  importPath: string;
  appName: string;
  image: Image | ImageIndex;
  platforms: PlatformBuild[];
}

/** State shared by the builds of one `build` or `publish` call. */
export class BuildContext {
  readonly session: RegistrySession;
  /** The shared build cache (`buildCache`), when the call uses one. */
  readonly shared?: SharedBuilds;
  private readonly bases = new Map<string, Promise<ResolvedBase>>();
  private matched?: ReturnType<typeof matchBuildConfigs>;
  private facts?: ReturnType<typeof hostFacts>;
  readonly limit: LimitFunction;
  /** The Go processes this context's builds share (one `go list`, one `go build` per round). */
  readonly go: GoBatches;
  readonly now = new Date();
  private closing?: Promise<void>;

  /** `settings` is the plan (plain data); `runtime` is how it runs (cache, registry, limits, events). */
  constructor(
    readonly settings: Settings,
    readonly runtime: Runtime,
  ) {
    this.session = new RegistrySession(runtime.registry);
    this.limit = pLimit(runtime.concurrency);
    this.go = new GoBatches(runtime.store.root, runtime.concurrency);
    const cache = runtime.buildCache;
    if (cache) {
      const emit = (e: CoreEvent) => this.emit(e);
      this.shared = new SharedBuilds(
        cache,
        settings.dir,
        this.session,
        runtime.store,
        emit,
        runtime.signal,
        runtime.pushConcurrency,
      );
    }
  }

  static async create(options: PublishOptions): Promise<BuildContext> {
    const { plan, exec } = splitOptions(options);
    const env = exec.environment ?? process.env;
    const settings = await resolveSettings(plan, env, exec.onEvent);
    return new BuildContext(settings, await resolveRuntime(exec, settings.dir, env));
  }

  /**
   * Ends the registry session's requests and removes what this context made for itself
   * (the throw-away cache of `cacheDir: false`). Images pulled through the session cannot be
   * read after this.
   */
  close(): Promise<void> {
    // Once: a second close of the session's pool would fail ("the client is destroyed").
    this.closing ??= (async () => {
      try {
        await this.session.close();
      } finally {
        await removeTempDir(this.runtime.tempCache);
      }
    })();
    return this.closing;
  }

  emit(event: CoreEvent): void {
    emitCore(this.runtime.onEvent, event);
  }

  base(spec: string): Promise<ResolvedBase> {
    let p = this.bases.get(spec);
    if (!p) {
      p = resolveBase(spec, { dir: this.settings.dir, session: this.session }).catch((err: unknown) => {
        throw baseImageError(err, spec, DEFAULT_BASE_IMAGE);
      });
      this.bases.set(spec, p);
    }
    return p;
  }

  buildConfigs(): ReturnType<typeof matchBuildConfigs> {
    this.matched ??= matchBuildConfigs(this.settings);
    return this.matched;
  }

  /** git and `go env` facts for templates, read once per context. */
  hostFacts(): ReturnType<typeof hostFacts> {
    this.facts ??= hostFacts(this.settings.dir, this.settings.env, this.settings.goBinary);
    return this.facts;
  }
}

async function settledAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * The base override for an import path. Keys match case-insensitively, as in ko: viper hands
 * ko its `.ko.yaml` keys lower-cased, so ko lower-cases the import path to look them up
 * (`github.com/GoogleCloudPlatform/x` matches a key written either way). A later key wins.
 */
export function baseOverrideFor(
  overrides: Readonly<Record<string, string>>,
  paths: readonly string[],
): string | undefined {
  const byLower = new Map<string, string>();
  for (const [key, value] of Object.entries(overrides)) byLower.set(stripKoPrefix(key).toLowerCase(), value);
  for (const p of paths) {
    const found = byLower.get(p.toLowerCase());
    if (found) return found;
  }
  return undefined;
}

/** Builds one import path in an existing context (shared bases, configs, Go processes, concurrency). */
export async function buildInContext(ctx: BuildContext, importPathRef: string): Promise<BuildResult> {
  // Before the first await: the Go rounds of this context wait for this program to arrive or leave.
  const passage = ctx.go.program();
  try {
    return await buildProgram(ctx, importPathRef, passage);
  } finally {
    passage.close();
  }
}

async function buildProgram(ctx: BuildContext, importPathRef: string, passage: ProgramPassage): Promise<BuildResult> {
  const { settings } = ctx;
  const signal = ctx.runtime.signal;
  const configs = await ctx.buildConfigs();
  // A builds[] entry naming this import path says where its module is (builds[].dir): it may
  // be a nested module that `go list` in the top folder cannot see (issue 10).
  const byRequest = configs.get(stripKoPrefix(importPathRef));
  // Answered from the record of an earlier build when nothing `go list` reads has changed.
  const resolution = {
    ref: importPathRef,
    dir: byRequest?.dir ?? settings.dir,
    env: settings.env,
    goBinary: settings.goBinary,
  };
  const shared = ctx.shared;
  const pkg = await resolveKeyed(
    resolution,
    ctx.runtime.store.root,
    signal,
    passage.resolve,
    shared && (() => shared.resolve(resolution)),
  );
  passage.resolved();
  const matched = configs.get(pkg.importPath);
  const how = effectiveBuild(settings, matched);
  // git and `go env` are only asked when a setting actually holds a template.
  const facts = usesTemplates(how) ? await ctx.hostFacts() : undefined;
  const baseSpec =
    baseOverrideFor(settings.baseOverrides, [pkg.importPath, stripKoPrefix(importPathRef)]) ?? settings.defaultBase;
  const base = await ctx.base(baseSpec);
  const targets = targetsFor(base, settings, pkg.importPath);
  const passages = passage.platforms(targets.length);

  // Every platform build settles before a failure is reported, so that nothing is still
  // writing into the cache (perhaps a throw-away one about to be removed) after we return.
  // Go runs outside the concurrency limit (the Go rounds bound it, and a program waiting for
  // a slot would hold back the round every other program waits for); layers run inside it.
  const built = await settledAll(
    targets.map(async (target, i): Promise<PlatformBuild> => {
      const steps = passages[i]!;
      const platformText = formatPlatform(target.platform);
      const started = Date.now();
      ctx.emit({ type: 'build:start', importPath: pkg.importPath, platform: platformText });
      let loaded: [Image, KeyedBinary];
      let share: PlatformShare | undefined;
      try {
        // Templates see this platform's build environment (ko: .Env.GOARCH is the target's).
        const data = facts
          ? templateData(facts, goBuildEnv(target.platform, settings.env, how.env), settings.created, ctx.now)
          : {};
        const { flags, ldflags } = expandBuild(settings, how, data);
        share = shared?.forBuild({
          pkg,
          platform: target.platform,
          dir: how.dir,
          baseEnv: settings.env,
          env: how.env,
          goBinary: settings.goBinary,
          flags,
          ldflags,
          capabilities: how.capabilities,
          resolution,
        });
        loaded = await Promise.all([
          target.load(),
          keyedGoBinary(
            {
              importPath: pkg.importPath,
              dir: how.dir,
              platform: target.platform,
              env: how.env,
              flags,
              ldflags,
              goBinary: settings.goBinary,
              baseEnv: settings.env,
              signal,
              resolved: pkg,
              layerRecipe: binaryLayerRecipe(how.capabilities),
              allowBuildPrograms: settings.allowBuildPrograms,
              onOutput: (line) =>
                ctx.emit({ type: 'build:output', importPath: pkg.importPath, platform: platformText, line }),
            },
            ctx.runtime.store.root,
            resolution,
            steps,
            share,
            // A platform answered by a record or the shared cache never arrives at a round:
            // leave them now, not after the base image has loaded, so others' rounds run.
          ).finally(() => steps.close()),
        ]);
      } finally {
        steps.close();
      }
      const [baseImage, binary] = loaded;
      if (binary.reused) ctx.emit({ type: 'build:reused', importPath: pkg.importPath, platform: platformText });
      return ctx.limit(async () => {
        const image = await platformImage(ctx, { base, target, baseImage, binary, how, share });
        ctx.emit({
          type: 'build:done',
          importPath: pkg.importPath,
          platform: platformText,
          durationMs: Date.now() - started,
        });
        return { platform: target.platform, image, buildInfo: binary.buildInfo };
      });
    }),
  );

  let image: Image | ImageIndex;
  if (built.length === 1) {
    image = built[0]!.image;
  } else {
    const baseIndex = base.kind === 'base' && base.node.kind === 'lazy-index' ? base.node : undefined;
    const mediaType = baseIndex ? baseIndex.mediaType : MediaType.OCI_INDEX;
    const options: Parameters<typeof ImageIndex.create>[1] = { mediaType };
    // ko's index (gobuild.go buildAll) is a new one: the caller's annotations plus the base
    // index's name and digest, not the base index's own annotations (OCI and Docker lists alike).
    const annotations: Record<string, string> = { ...settings.annotations };
    if (baseIndex) {
      annotations['org.opencontainers.image.base.name'] = base.name;
      annotations['org.opencontainers.image.base.digest'] = baseIndex.digest;
    }
    if (Object.keys(annotations).length) options.annotations = annotations;
    image = ImageIndex.create(
      built.map((b, i) => {
        const d = targets[i]!.descriptor;
        const child: { image: Image; platform: Platform; annotations?: Record<string, string> } = {
          image: b.image,
          platform: d?.platform ?? b.platform,
        };
        if (d?.annotations) child.annotations = d.annotations;
        return child;
      }),
      options,
    );
  }
  ctx.emit({ type: 'image:built', importPath: pkg.importPath, digest: image.digest, mediaType: image.mediaType });
  return { importPath: pkg.importPath, appName: appFilename(pkg.importPath), image, platforms: built };
}

/**
 * Builds an import path into an image (one platform) or an index (several), without pushing.
 * Layers are written to the layer cache; base layers stay where they are. With
 * `cacheDir: false` the returned image's layers live in a temporary folder that is removed
 * when the build fails, or else when the process exits.
 */
export function build(importPath: string, options: PublishOptions = {}): Promise<BuildResult> {
  return guarded('build', async () => {
    const ctx = await BuildContext.create(options);
    try {
      return await buildInContext(ctx, importPath);
    } catch (err) {
      await ctx.close();
      throw err;
    }
  });
}
