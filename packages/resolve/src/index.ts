export { TskoError, isTskoError, type TskoErrorCode, type TskoErrorDetails } from '@tsko/registry';
export type { ResolveErrorCode, ResolveErrorDetailsMap, ResolveFailure } from './errors.js';
export {
  resolveManifests,
  resolveOccurrences,
  findReferences,
  type ResolveOptions,
  type ResolveOwnOptions,
  type BuildReference,
  type ManifestInput,
} from './resolve.js';
export type { ReferenceEvent, ResolveEvent, ResolveEventHandler } from './events.js';
export { parseSelector, type Selector, type Requirement } from './selector.js';
export { koReference, KO_PREFIX, type Occurrence } from './references.js';
export { readManifestFiles, type FilesInput } from './inputs.js';
export {
  apply,
  create,
  deleteManifests,
  deleteManifests as delete,
  runKubectl,
  type KubectlOptions,
  type KubectlResult,
} from './kubectl.js';
export { resolveReferences, koResolver, type ResolutionContextLike } from './cdk8s.js';
export { synthApp, resolveApp, type Cdk8sAppLike, type SynthResult, type ResolvedApp } from './cdk8s-app.js';
