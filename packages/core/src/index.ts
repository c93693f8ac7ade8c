export { TskoError, isTskoError, type TskoErrorCode, type TskoErrorDetails } from '@tsko/registry';
export type { CoreErrorCode, CoreErrorDetailsMap } from './errors.js';
export { build, baseOverrideFor, type BuildResult, type PlatformBuild } from './build.js';
export { publish, createPublisher, type PublishResult, type Publisher } from './publish.js';
export type { AttachedSbom } from './targets/target.js';
export {
  splitOptions,
  checkExecution,
  pickPublishOptions,
  publishOptions,
  PUBLISH_OPTION_KEYS,
  type BuildPlan,
  type ExecutionOptions,
  type PublishOptions,
  type SinkSpec,
  type LayoutSink,
  type TarballSink,
  type DaemonSink,
  type BuildCacheOptions,
} from './options.js';
export type { BuildEvent, CoreEvent, CoreEventHandler } from './events.js';
export { imageRefsFor, writeImageRefs } from './image-refs.js';
export {
  imageRepository,
  checkRepo,
  formatPublishedRef,
  formatUnpushedRef,
  formatDaemonRef,
  type NamingStrategy,
} from './naming.js';
export {
  buildGoBinary,
  appFilename,
  platformEnv,
  checkFlags,
  type GoBuildRequest,
  type GoBinary,
} from './go/build-binary.js';
export { resolveImportPath, stripKoPrefix, KO_PREFIX, type GoPackage } from './go/import-path.js';
export { binaryLayer, APP_DIR, type BinaryLayerOptions, type BuiltLayer } from './layers/binary-layer.js';
export { kodataLayer, KODATA_ROOT, type KodataLayerOptions } from './layers/kodata-layer.js';
export { BlobStore, type LayerBlob, type TarGzOptions } from './layers/blob-store.js';
export type { ByteRange } from './layers/chunk-plan.js';
export { koImage, layerMediaTypeFor, type KoImageParts } from './image/ko-image.js';
export {
  resolveBase,
  baseImageName,
  scratchImage,
  parseLayoutBase,
  SCRATCH,
  LAYOUT_PREFIX,
  type ResolvedBase,
} from './image/base-image.js';
export {
  loadKoYaml,
  parseKoYaml,
  type KoYaml,
  type KoBuildConfig,
  type KoYamlRead,
  type LoadedKoYaml,
} from './config/ko-yaml.js';
export { expandTemplate, type TemplateData } from './config/templates.js';
export { DEFAULT_BASE_IMAGE } from './config/settings.js';
export { imageSpdx, indexSpdx, parseBuildInfo, type GoBuildInfo, type GoModule } from './sbom/spdx.js';
export { sbomArtifact, sbomTag, chooseAttachment, type SbomAttachment } from './sbom/attach.js';
// Re-exported so one import serves most programs.
export {
  appendLayer,
  appendLayers,
  withContainerConfig,
  withConfig,
  withAnnotations,
  withCreated,
  emptyImage,
  Image,
  ImageIndex,
  pullImage,
  pushImage,
  // Image I/O lives in @tsko/registry beside pull and push; these names stay importable from core.
  writeOciLayout,
  readOciLayout,
  REF_NAME,
  archiveEntries,
  dockerArchiveStream,
  writeDockerArchive,
  loadIntoDaemon,
  daemonSocket,
  isLazyIndex,
  type ArchiveEntry,
  type LazyIndex,
} from '@tsko/registry';
export {
  consoleReporter,
  type ConsoleReporter,
  type ConsoleReporterOptions,
  type ReporterEvent,
  type ReporterTotals,
  type ResolveEventShape,
} from './report/console-reporter.js';
