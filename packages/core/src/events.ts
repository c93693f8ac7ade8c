import type { Digest, RegistryEvent } from '@tsko/registry';

/**
 * Every event a build or publish reports through `onEvent`: core's own (below) and the
 * registry client's (blob and manifest progress). The library itself never prints.
 */
export type CoreEvent = BuildEvent | RegistryEvent;

/** The handler `onEvent` takes in core's options. */
export type CoreEventHandler = (event: CoreEvent) => void;

/** Events core itself reports (builds, layers, images, sinks, pushes). */
export type BuildEvent =
  /** A `.ko.yaml` key ko does not know (and ignores); `key` is its path, e.g. `builds[0].goos`. */
  | { type: 'config:unknown-key'; file: string; key: string }
  | { type: 'build:start'; importPath: string; platform: string }
  /** One line go build wrote to stderr while it ran (module downloads, warnings, compile errors). */
  | { type: 'build:output'; importPath: string; platform: string; line: string }
  /** Every input of an earlier build still holds: its binary is used and no go process ran. */
  | { type: 'build:reused'; importPath: string; platform: string }
  | { type: 'build:done'; importPath: string; platform: string; durationMs: number }
  /** `debug: true`, but Delve does not run on this platform: the image is built without it (as ko). */
  | { type: 'build:debug-unsupported'; importPath: string; platform: string }
  | {
      type: 'layer:built';
      importPath: string;
      platform: string;
      layer: 'binary' | 'kodata' | 'delve';
      digest: Digest;
      size: number;
    }
  | {
      type: 'layer:cached';
      importPath: string;
      platform: string;
      layer: 'binary' | 'delve';
      digest: Digest;
      size: number;
    }
  /**
   * The shared build cache (`buildCache`): `hit` (the binary layer comes from the cache and no
   * go process ran for it), `resolved` (the import path was named from a record, without
   * `go list`), `miss`, `stored`, `unshareable` (this build stays local, `reason` says why),
   * `read-failed` / `write-failed` (the registry failed; the cache is off for the rest of the
   * call, the build goes on). `tag` is the record's tag in the cache repository.
   */
  | {
      type: 'build:shared-cache';
      result: 'hit' | 'resolved' | 'miss' | 'stored' | 'unshareable' | 'read-failed' | 'write-failed';
      importPath: string;
      platform?: string;
      tag?: string;
      reason?: string;
    }
  | { type: 'image:built'; importPath: string; digest: Digest; mediaType: string }
  | { type: 'sbom:attached'; importPath: string; subject: Digest; reference: string }
  | { type: 'sink:written'; importPath: string; sink: 'layout' | 'tarball' | 'daemon'; target: string }
  | { type: 'push:done'; importPath: string; ref: string; digest: Digest };

/** Calls a user's handler without letting its exceptions break the build it observes. */
export function emitCore(handler: CoreEventHandler | undefined, event: CoreEvent): void {
  if (!handler) return;
  try {
    handler(event);
  } catch {
    // A failing progress handler must not fail the build it observes.
  }
}
