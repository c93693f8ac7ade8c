export {
  TskoError,
  isTskoError,
  throwIfAborted,
  abortError,
  type TskoErrorCode,
  type TskoErrorContext,
  type TskoErrorDetails,
  type TskoErrorDetailsMap,
  type TskoErrorOptions,
  type ProgramDetails,
  type RegistryErrorDetail,
} from './errors.js';
export { asTskoError, fileSystemError, guarded } from './error-wrapping.js';
export { runProgram, truncationMarker, type ProgramResult, type RunProgramOptions } from './run-program.js';
export { sha256, isDigest, parseDigest, DigestVerifier, verifyBytes, type Digest } from './digest.js';
export {
  MediaType,
  isIndexMediaType,
  isImageManifestMediaType,
  isDockerMediaType,
  MANIFEST_ACCEPT,
  type KnownMediaType,
} from './media-types.js';
export { canonicalJson, canonicalJsonBytes } from './canonical-json.js';
export {
  parseReference,
  parseRepository,
  formatReference,
  referenceName,
  referenceIdentifier,
  withIdentifier,
  registryApiHost,
  isLoopbackRegistry,
  DEFAULT_REGISTRY,
  type Reference,
} from './reference.js';
export { parseTag, parseDigestReference, parseManifestIdentifier, parseRepositoryPath } from './names.js';
export {
  parsePlatform,
  formatPlatform,
  platformMatches,
  isAttestationPlatform,
  hostPlatform,
  type Platform,
} from './platform.js';
export {
  descriptorSchema,
  imageManifestSchema,
  imageIndexSchema,
  imageConfigSchema,
  platformSchema,
  parseJson,
  type Descriptor,
  type ImageManifest,
  type ImageIndexManifest,
  type ImageConfig,
  type History,
  type JsonSchema,
  type JsonIssue,
} from './schemas.js';
export {
  fileLayer,
  bufferLayer,
  streamLayer,
  withLayerMediaType,
  layerDescriptor,
  isForeignLayer,
  type Layer,
  type LayerIdentity,
  type BlobSource,
} from './layer.js';
export { Image, isImage, parseImageManifest } from './image.js';
export { ImageIndex, isImageIndex, parseIndexManifest, type IndexChild } from './image-index.js';
export {
  appendLayer,
  appendLayers,
  withContainerConfig,
  withConfig,
  withAnnotations,
  withSubject,
  withManifestMediaType,
  withCreated,
  emptyImage,
  type AppendOptions,
} from './mutate.js';
export type { RegistryEvent, RegistryEventHandler } from './events.js';
export { parseChallenges, repositoryScope, type Challenge } from './client/challenge.js';
export {
  lookupCredential,
  runCredentialHelper,
  normaliseAuthKey,
  type Credential,
  type CredentialSource,
  type CredentialLookupOptions,
} from './client/credentials.js';
export type { TransportOptions, HttpResponse, ResponseBody } from './client/transport.js';
export type { RetryPolicy, RegistryTimeouts } from './client/retry-policy.js';
export type { RegistryOptions } from './client/registry-client.js';
export { RegistrySession } from './client/session.js';
export { imageFromManifest, type BlobFetcher } from './image-from-manifest.js';
export {
  lazyIndex,
  lazyIndexOf,
  isLazyIndex,
  selectDescriptor,
  type LazyIndex,
  type LazyIndexSource,
  type PlatformDescriptor,
} from './lazy-index.js';
export { pull, pullImage, type PullOptions, type Pulled } from './remote/pull.js';
export { pushImage, type PushOptions, type PushResult } from './remote/push.js';
export { listReferrers } from './remote/referrers.js';
export { pushArtifact, pullArtifact, type ArtifactContent, type PulledArtifact } from './remote/artifact.js';
export { headManifest } from './remote/head.js';
export {
  tarChunks,
  tarContentOffsets,
  TAR_WRITER_VERSION,
  type LayerTarEntry,
  type TarChunksOptions,
} from './layers/tar-writer.js';
export {
  filesLayer,
  folderLayer,
  type LayerFile,
  type LayerFileContent,
  type LayerEntryOptions,
  type LayerOptions,
  type FolderLayerOptions,
} from './layers/files-layer.js';
export { checkPushAccess } from './remote/push-access.js';
export { readOciLayout } from './layout/read-layout.js';
export { writeOciLayout } from './layout/write-layout.js';
export { REF_NAME } from './layout/layout-files.js';
export {
  archiveEntries,
  dockerArchiveStream,
  writeDockerArchive,
  type ArchiveEntry,
} from './archive/docker-archive.js';
export { loadIntoDaemon, daemonSocket, daemonImage } from './daemon/load-daemon.js';
