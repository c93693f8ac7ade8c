import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import {
  formatPlatform,
  guarded,
  ImageIndex,
  MediaType,
  RegistrySession,
  TskoError,
  withLayerMediaType,
  type Descriptor,
  type Digest,
  type Image,
  type Layer,
  type Platform,
} from '@tsko/registry';
import { effectiveBuild, expandBuild, matchBuildConfigs, usesTemplates } from './config/build-configs.js';
import { DEFAULT_BASE_IMAGE, resolveSettings, type Settings } from './config/settings.js';
import { baseImageError } from './base-image-errors.js';
import { formatSpec, fullPlatform, specMatches } from './config/platform-spec.js';
import { hostFacts, templateData } from './config/template-data.js';
import { emitCore, type CoreEvent } from './events.js';
import { appFilename, goBuildEnv } from './go/build-binary.js';
import { stripKoPrefix } from './go/import-path.js';
import { keyedEnv } from './go/build-key.js';
import { keyedGoBinary, resolveKeyed } from './go/keyed-build.js';
import { resolveBase, scratchImage, type ResolvedBase } from './image/base-image.js';
import { SharedBuilds } from './build-cache/shared-builds.js';
import { koImage, layerMediaTypeFor } from './image/ko-image.js';
import { binaryLayer } from './layers/binary-layer.js';
import { kodataLayer } from './layers/kodata-layer.js';
import { debugSupported, delveBinary } from './go/delve.js';
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
  readonly now = new Date();
  private closing?: Promise<void>;

  /** `settings` is the plan (plain data); `runtime` is how it runs (cache, registry, limits, events). */
  constructor(
    readonly settings: Settings,
    readonly runtime: Runtime,
  ) {
    this.session = new RegistrySession(runtime.registry);
    this.limit = pLimit(runtime.concurrency);
    const cache = runtime.buildCache;
    if (cache) {
      const emit = (e: CoreEvent) => this.emit(e);
      this.shared = new SharedBuilds(cache, settings.dir, this.session, emit, runtime.signal, runtime.pushConcurrency);
    }
  }

  static async create(options: PublishOptions): Promise<BuildContext> {
    const { plan, exec } = splitOptions(options);
    const env = exec.environment ?? process.env;
    const settings = await resolveSettings(plan, env, exec.onEvent);
    return new BuildContext(settings, await resolveRuntime(exec, settings.dir, env));
  }

  /**
   * Closes the registry session's connections and removes what this context made for itself
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

interface Target {
  platform: Platform;
  load(): Promise<Image>;
  descriptor?: Descriptor;
  baseDigest?: (image: Image) => Digest;
}

/** Which base images to build on, in the base's order (ko's platform matching). */
function targetsFor(base: ResolvedBase, settings: Settings, importPath: string): Target[] {
  const wanted = settings.platforms;
  if (base.kind === 'scratch') {
    if (wanted === 'all') {
      throw new TskoError(
        'TSKO_PLATFORM_NOT_FOUND',
        `platforms: 'all' needs a base index to list platforms, but ${importPath} builds on scratch; name the platforms.`,
      );
    }
    return wanted.map((spec) => {
      const platform = fullPlatform(spec, `${importPath} builds on scratch`);
      return { platform, load: async () => scratchImage(platform) };
    });
  }
  const node = base.node;
  if (node.kind === 'image') {
    const own = node.platform;
    if (
      settings.platformsExplicit &&
      (wanted === 'all' ? false : wanted.length !== 1 || !specMatches(wanted[0]!, own))
    ) {
      const asked = wanted === 'all' ? 'all' : wanted.map(formatSpec).join(', ');
      throw new TskoError(
        'TSKO_PLATFORM_NOT_FOUND',
        `Base image ${base.name} is a single ${formatPlatform(own)} image, but ${asked} was asked for ${importPath}. Use a multi-platform base index or build for ${formatPlatform(own)}.`,
        { details: { base: base.name } },
      );
    }
    return [{ platform: own, load: async () => node, baseDigest: (i) => i.digest }];
  }
  const matching = node.platforms.filter((d) => wanted === 'all' || wanted.some((w) => specMatches(w, d.platform)));
  if (matching.length === 0) {
    const have = node.platforms.map((d) => formatPlatform(d.platform)).join(', ');
    const asked = wanted === 'all' ? 'all' : wanted.map(formatSpec).join(', ');
    throw new TskoError(
      'TSKO_PLATFORM_NOT_FOUND',
      `Base index ${base.name} has no image for ${asked} (it has: ${have || 'none'}).`,
      { details: { base: base.name } },
    );
  }
  return matching.map((d) => ({
    platform: d.platform,
    load: () => node.image(d),
    descriptor: d,
    baseDigest: () => d.digest,
  }));
}

/**
 * A stable output folder per (import path, platform, build settings) inside the cache: when
 * the binary there is current, `go build` skips the link step (0.4 s → 0.1 s for a small
 * server), which a fresh temporary folder would force every time.
 */
async function binaryDir(
  { settings, runtime }: BuildContext,
  importPath: string,
  platform: Platform,
  how: { dir: string; env: string[]; flags: string[]; ldflags: string[] },
): Promise<string> {
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        importPath,
        formatPlatform(platform),
        how.dir,
        how.env,
        how.flags,
        how.ldflags,
        settings.goBinary ?? '',
        // One folder per Go environment too, so that builds keyed by inputs (keyed-build.ts)
        // under two environments do not overwrite each other's binary.
        keyedEnv(settings.env),
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  const dir = join(runtime.store.root, 'bin', key);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The Delve layer of a `debug` build (`/ko-app/dlv`, with the program's capabilities, as ko
 * builds it), or nothing on a platform Delve does not support there.
 */
async function debuggerLayer(
  ctx: BuildContext,
  importPath: string,
  platform: Platform,
  capabilities: Uint8Array | undefined,
  mediaType: string,
): Promise<Layer | undefined> {
  const platformText = formatPlatform(platform);
  if (!debugSupported(platform)) {
    ctx.emit({ type: 'build:debug-unsupported', importPath, platform: platformText });
    return undefined;
  }
  const { settings, runtime } = ctx;
  const dlv = await delveBinary({
    platform,
    cacheRoot: runtime.store.root,
    goBinary: settings.goBinary,
    env: settings.env,
    signal: runtime.signal,
    onOutput: (line) => ctx.emit({ type: 'build:output', importPath, platform: platformText, line }),
  });
  const built = await binaryLayer({
    binaryPath: dlv,
    appName: 'dlv',
    platform,
    mediaType,
    store: runtime.store,
    ...(capabilities ? { capabilities } : {}),
  });
  ctx.emit({
    type: built.cached ? 'layer:cached' : 'layer:built',
    importPath,
    platform: platformText,
    layer: 'delve',
    digest: built.layer.digest,
    size: built.layer.size,
  });
  return built.layer;
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

/** Builds one import path in an existing context (shared bases, configs, concurrency). */
export async function buildInContext(ctx: BuildContext, importPathRef: string): Promise<BuildResult> {
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
    shared && (() => shared.resolve(resolution)),
  );
  const matched = configs.get(pkg.importPath);
  const how = effectiveBuild(settings, matched);
  // git and `go env` are only asked when a setting actually holds a template.
  const facts = usesTemplates(how) ? await ctx.hostFacts() : undefined;
  const baseSpec =
    baseOverrideFor(settings.baseOverrides, [pkg.importPath, stripKoPrefix(importPathRef)]) ?? settings.defaultBase;
  const base = await ctx.base(baseSpec);
  const targets = targetsFor(base, settings, pkg.importPath);

  // Every platform build settles before a failure is reported, so that nothing is still
  // writing into the cache (perhaps a throw-away one about to be removed) after we return.
  const built = await settledAll(
    targets.map((target) =>
      ctx.limit(async (): Promise<PlatformBuild> => {
        const platformText = formatPlatform(target.platform);
        const started = Date.now();
        ctx.emit({ type: 'build:start', importPath: pkg.importPath, platform: platformText });
        // Templates see this platform's build environment (ko: .Env.GOARCH is the target's).
        const data = facts
          ? templateData(facts, goBuildEnv(target.platform, settings.env, how.env), settings.created, ctx.now)
          : {};
        const { flags, ldflags } = expandBuild(settings, how, data);
        const outDir = await binaryDir(ctx, pkg.importPath, target.platform, {
          dir: how.dir,
          env: how.env,
          flags,
          ldflags,
        });
        const share = shared?.forBuild({
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
        const [baseImage, binary] = await Promise.all([
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
              allowBuildPrograms: settings.allowBuildPrograms,
              onOutput: (line) =>
                ctx.emit({ type: 'build:output', importPath: pkg.importPath, platform: platformText, line }),
              outDir,
            },
            ctx.runtime.store.root,
            resolution,
            share,
          ),
        ]);
        {
          const mediaType = layerMediaTypeFor(baseImage);
          const kodata = await kodataLayer({
            kodataDir: join(binary.packageDir, 'kodata'),
            mediaType,
            store: ctx.runtime.store,
            allowedRoot: settings.env.KO_DATA_PATH_ALLOWED_ROOT,
            platform: target.platform,
            ...(settings.kodataDate ? { mtime: settings.kodataDate } : {}),
          });
          ctx.emit({
            type: 'layer:built',
            importPath: pkg.importPath,
            platform: platformText,
            layer: 'kodata',
            digest: kodata.digest,
            size: kodata.size,
          });
          const bin = binary.sharedLayer
            ? { layer: withLayerMediaType(binary.sharedLayer, mediaType), cached: true }
            : await binaryLayer({
                binaryPath: binary.path,
                appName: binary.appName,
                platform: target.platform,
                mediaType,
                store: ctx.runtime.store,
                ...(how.capabilities ? { capabilities: how.capabilities } : {}),
              });
          // Stored in the shared cache, the layer is mounted from there by a push to its registry.
          const binLayer =
            share && binary.inputs ? await share.store(binary.inputs, binary.buildInfo, bin.layer) : bin.layer;
          const binaryEvent = {
            importPath: pkg.importPath,
            platform: platformText,
            layer: 'binary',
            digest: bin.layer.digest,
            size: bin.layer.size,
          } as const;
          ctx.emit(bin.cached ? { type: 'layer:cached', ...binaryEvent } : { type: 'layer:built', ...binaryEvent });
          const delve = settings.debug
            ? await debuggerLayer(ctx, pkg.importPath, target.platform, how.capabilities, mediaType)
            : undefined;
          const parts: Parameters<typeof koImage>[0] = {
            base: baseImage,
            kodata,
            binary: binLayer,
            ...(delve ? { debugger: delve } : {}),
            platform: target.platform,
            appName: binary.appName,
            importPath: pkg.importPath,
            labels: settings.labels,
            annotations: settings.annotations,
          };
          if (base.kind === 'base' && target.baseDigest) {
            parts.baseName = base.name;
            parts.baseDigest = target.baseDigest(baseImage);
          }
          if (settings.created) parts.created = settings.created;
          if (settings.kodataDate) parts.kodataCreated = settings.kodataDate;
          if (settings.user !== undefined) parts.user = settings.user;
          const image = koImage(parts);
          ctx.emit({
            type: 'build:done',
            importPath: pkg.importPath,
            platform: platformText,
            durationMs: Date.now() - started,
          });
          return { platform: target.platform, image, buildInfo: binary.buildInfo };
        }
      }),
    ),
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
