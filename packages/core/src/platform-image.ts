import { join } from 'node:path';
import { formatPlatform, withLayerMediaType, type Image, type Layer, type Platform } from '@tsko/registry';
import type { PlatformShare } from './build-cache/shared-builds.js';
import type { effectiveBuild } from './config/build-configs.js';
import type { Runtime } from './config/runtime.js';
import type { Settings } from './config/settings.js';
import type { CoreEvent } from './events.js';
import { debugSupported, delveBinary } from './go/delve.js';
import type { KeyedBinary } from './go/keyed-build.js';
import type { ResolvedBase } from './image/base-image.js';
import { koImage, layerMediaTypeFor } from './image/ko-image.js';
import type { PlatformTarget } from './platform-targets.js';
import { binaryLayer } from './layers/binary-layer.js';
import { kodataLayer } from './layers/kodata-layer.js';

/** What building an image needs from its build context (build.ts's BuildContext has it). */
export interface ImageContext {
  readonly settings: Settings;
  readonly runtime: Runtime;
  emit(event: CoreEvent): void;
}

/** What one platform image is made of, once its binary and base image are at hand. */
export interface PlatformParts {
  base: ResolvedBase;
  target: PlatformTarget;
  baseImage: Image;
  binary: KeyedBinary;
  how: ReturnType<typeof effectiveBuild>;
  /** The shared build cache's hooks for this build (`buildCache`), when the call uses one. */
  share?: PlatformShare | undefined;
}

/**
 * The image of one platform: the base's layers, then the kodata layer, the binary's layer
 * (and Delve's for a debug build), with ko's config, labels and annotations.
 */
export async function platformImage(ctx: ImageContext, parts: PlatformParts): Promise<Image> {
  const { settings } = ctx;
  const { base, target, baseImage, binary, how, share } = parts;
  const importPath = binary.importPath;
  const platformText = formatPlatform(target.platform);
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
    importPath,
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
  const binLayer = share && binary.inputs ? await share.store(binary.inputs, binary.buildInfo, bin.layer) : bin.layer;
  const binaryEvent = {
    importPath,
    platform: platformText,
    layer: 'binary',
    digest: bin.layer.digest,
    size: bin.layer.size,
  } as const;
  ctx.emit(bin.cached ? { type: 'layer:cached', ...binaryEvent } : { type: 'layer:built', ...binaryEvent });
  const delve = settings.debug
    ? await debuggerLayer(ctx, importPath, target.platform, how.capabilities, mediaType)
    : undefined;
  const image: Parameters<typeof koImage>[0] = {
    base: baseImage,
    kodata,
    binary: binLayer,
    ...(delve ? { debugger: delve } : {}),
    platform: target.platform,
    appName: binary.appName,
    importPath,
    labels: settings.labels,
    annotations: settings.annotations,
  };
  if (base.kind === 'base' && target.baseDigest) {
    image.baseName = base.name;
    image.baseDigest = target.baseDigest(baseImage);
  }
  if (settings.created) image.created = settings.created;
  if (settings.kodataDate) image.kodataCreated = settings.kodataDate;
  if (settings.user !== undefined) image.user = settings.user;
  return koImage(image);
}

/**
 * The Delve layer of a `debug` build (`/ko-app/dlv`, with the program's capabilities, as ko
 * builds it), or nothing on a platform Delve does not support there.
 */
async function debuggerLayer(
  ctx: ImageContext,
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
