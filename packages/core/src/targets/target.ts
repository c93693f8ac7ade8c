import type { Digest, Image, ImageIndex } from '@tsko/registry';
import type { BuildContext } from '../build.js';
import type { SbomAttachment } from '../sbom/attach.js';
import type { SbomDocument } from '../sbom/documents.js';

/** An SBOM as attached in a registry. */
export interface AttachedSbom {
  /** The image or index it describes. */
  subject: Digest;
  /** Where it is: `repo:sha256-<hex>.sbom` when tagged, else `repo@<digest>`. */
  ref: string;
  /** Its manifest digest. */
  digest: Digest;
  /** How it was attached (see `sbomAttachment`). */
  attachment: SbomAttachment;
}

/** One built image on its way out, named as every target names it. */
export interface TargetImage {
  importPath: string;
  image: Image | ImageIndex;
  /** `<repo>/<name>` (or the name alone without a repo). */
  repository: string;
  /** Each tag once, in order. */
  tags: readonly string[];
  sboms: readonly SbomDocument[];
}

/** What a target did with an image: the reference it is known by there, and SBOMs it attached. */
export interface TargetWritten {
  ref: string;
  sboms?: AttachedSbom[];
}

/**
 * One place a published image goes (ko's publisher per target): a registry, an OCI layout,
 * a docker tarball or a daemon. A new kind of target is one more implementation of this.
 */
export interface PublishTarget {
  /** `registry`, `layout`, `tarball` or `daemon`: for events and messages. */
  readonly kind: string;
  write(item: TargetImage, ctx: BuildContext): Promise<TargetWritten>;
}
