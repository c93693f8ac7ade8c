import type { TskoErrorContext } from '@tsko/registry';

/**
 * The error codes `@tsko/core` adds (Go builds, `.ko.yaml`, publishing) and their `details`.
 * They are merged into registry's code map below: `TskoErrorCode` and `isTskoError` then know
 * them wherever core is imported, and `new TskoError('TSKO_BUILD_FAILED', …, { details })`
 * checks `details`, while registry itself never learns about Go.
 */
export interface CoreErrorDetailsMap {
  /** An option, environment variable, `.ko.yaml` value or template is invalid. */
  TSKO_CONFIG_INVALID: {
    file?: string;
    line?: number;
    field?: string;
    variable?: string;
    /** The template text (shortened) and the position of the error in it. */
    template?: string;
    position?: number;
    unknownKeys?: string[];
  };
  /** `go build` failed; `output` is what it wrote (bounded). */
  TSKO_BUILD_FAILED: { importPath?: string; platform?: string; output?: string };
  /** A build setting names a program (`-toolexec`, `CC`, …) and `allowBuildPrograms` is off. */
  TSKO_BUILD_PROGRAM_REFUSED: { file?: string; field?: string; setting?: string };
  /** `go.mod` (or `go.work`) cannot be used by the Go on PATH. */
  TSKO_GO_MODULE_INVALID: { file?: string; line?: number; importPath?: string; output?: string };
  /** No `go` on PATH (or at `goBinary` / `KO_GO_PATH`). */
  TSKO_GO_NOT_FOUND: { program?: string };
  /** An import path is malformed (not `ko://` + a Go package path). */
  TSKO_INVALID_IMPORT_PATH: { importPath?: string };
  /** The import path is not a `main` package (or does not exist). */
  TSKO_NOT_MAIN: { importPath?: string; dir?: string; output?: string };
  /** A symlink in `kodata/` leads outside it. */
  TSKO_KODATA_ESCAPE: { path?: string; target?: string; allowedRoot?: string };
  /** Nothing says where to push: no `repo` option and no `KO_DOCKER_REPO`. */
  TSKO_NO_REPO: TskoErrorContext;
  /** `sbomAttachment` asks for the referrers API and the registry has none. */
  TSKO_REFERRERS_UNSUPPORTED: { repository?: string };
}

/** The codes only `@tsko/core` throws. */
export type CoreErrorCode = keyof CoreErrorDetailsMap;

declare module '@tsko/registry' {
  interface TskoErrorDetailsMap extends CoreErrorDetailsMap {}
}
