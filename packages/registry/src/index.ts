export {
  TskoError,
  isTskoError,
  throwIfAborted,
  abortError,
  type TskoErrorCode,
  type TskoErrorOptions,
  type RegistryErrorDetail,
} from './errors.js';
export { asTskoError, fileSystemError, guarded } from './error-wrapping.js';
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
export { RegistryClient, type RegistryOptions, type FetchedManifest } from './client/registry-client.js';
export { RegistrySession } from './client/session.js';
export { pull, pullImage, selectDescriptor, type PullOptions, type Pulled, type RemoteIndex } from './pull.js';
export { pushImage, type PushOptions, type PushResult } from './push.js';
export { listReferrers } from './referrers.js';
export { tarChunks, type LayerTarEntry } from './layers/tar-writer.js';
export {
  filesLayer,
  folderLayer,
  type LayerFile,
  type LayerFileContent,
  type LayerEntryOptions,
  type LayerOptions,
  type FolderLayerOptions,
} from './layers/files-layer.js';
export { checkPushAccess } from './push-access.js';
