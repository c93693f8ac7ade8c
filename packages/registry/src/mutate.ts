import { Image } from './image.js';
import type { Layer } from './layer.js';
import type { Descriptor, History, ImageConfig } from './schemas.js';
import type { Platform } from './platform.js';

type ContainerConfig = NonNullable<ImageConfig['config']>;

/** Options that describe how an appended layer came to be. */
export interface AppendOptions {
  history?: History;
}

function rebuild(
  image: Image,
  changes: {
    config?: ImageConfig;
    layers?: readonly Layer[];
    annotations?: Record<string, string> | undefined;
    mediaType?: string;
    subject?: Descriptor | undefined;
  },
): Image {
  const parts: Parameters<typeof Image.create>[0] = {
    config: changes.config ?? structuredClone(image.config as ImageConfig),
    layers: changes.layers ?? image.layers,
    mediaType: changes.mediaType ?? image.mediaType,
  };
  const annotations = 'annotations' in changes ? changes.annotations : image.manifest.annotations;
  if (annotations) parts.annotations = annotations;
  const subject = 'subject' in changes ? changes.subject : image.manifest.subject;
  if (subject) parts.subject = subject;
  return Image.create(parts);
}

/** A new image with `layer` on top, and a history entry for it. */
export function appendLayer(image: Image, layer: Layer, options: AppendOptions = {}): Image {
  return appendLayers(image, [{ layer, history: options.history }]);
}

/** A new image with several layers on top, in order. */
export function appendLayers(
  image: Image,
  additions: readonly { layer: Layer; history?: History | undefined }[],
): Image {
  const config = structuredClone(image.config as ImageConfig);
  const history = [...(config.history ?? [])];
  for (const { history: h } of additions) history.push({ ...(h ?? {}) });
  config.history = history;
  return rebuild(image, { config, layers: [...image.layers, ...additions.map((a) => a.layer)] });
}

/** A new image whose container config (`Entrypoint`, `Env`, `User`, …) is replaced by `update`'s result. */
export function withContainerConfig(image: Image, update: (current: ContainerConfig) => ContainerConfig): Image {
  const config = structuredClone(image.config as ImageConfig);
  config.config = update(structuredClone(config.config ?? {}));
  return rebuild(image, { config });
}

/** A new image whose whole config is replaced by `update`'s result (rootfs is always recomputed). */
export function withConfig(image: Image, update: (current: ImageConfig) => ImageConfig): Image {
  return rebuild(image, { config: update(structuredClone(image.config as ImageConfig)) });
}

/** A new image with these manifest annotations merged over the existing ones. */
export function withAnnotations(image: Image, annotations: Record<string, string>): Image {
  return rebuild(image, { annotations: { ...(image.manifest.annotations ?? {}), ...annotations } });
}

/** A new image whose manifest has a `subject` (it then is a referrer of that manifest). */
export function withSubject(image: Image, subject: Descriptor | undefined): Image {
  return rebuild(image, { subject });
}

/** A new image with another manifest media type (OCI or Docker); layers keep their types. */
export function withManifestMediaType(image: Image, mediaType: string): Image {
  return rebuild(image, { mediaType });
}

/** A new image with `created` set (RFC 3339), as for SOURCE_DATE_EPOCH. */
export function withCreated(image: Image, created: Date): Image {
  return withConfig(image, (c) => ({ ...c, created: created.toISOString().replace(/\.\d{3}Z$/, 'Z') }));
}

/** An empty image (no layers) for a platform (os.version included): the `scratch` base. */
export function emptyImage(platform: Platform, mediaType?: string): Image {
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    rootfs: { type: 'layers', diff_ids: [] },
    config: {},
  };
  if (platform.variant) config.variant = platform.variant;
  // Windows images are told apart by os.version (index entries carry it from the config).
  if (platform['os.version']) config['os.version'] = platform['os.version'];
  const parts: Parameters<typeof Image.create>[0] = { config, layers: [] };
  if (mediaType) parts.mediaType = mediaType;
  return Image.create(parts);
}
