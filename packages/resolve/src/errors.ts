import type { ProgramDetails, TskoError } from '@tsko/registry';

/**
 * The error codes `@tsko/resolve` adds (YAML, selectors, kubectl, resolution) and their
 * `details`, merged into registry's code map as `@tsko/core` merges its own.
 */
export interface ResolveErrorDetailsMap {
  /** A manifest is not valid YAML, or not a Kubernetes object where one is needed. */
  TSKO_YAML_INVALID: { file?: string; line?: number; location?: string };
  /** A label selector does not parse. */
  TSKO_INVALID_SELECTOR: { selector?: string };
  /** A CDK8s resolver met a `ko://` reference `resolveReferences()` was not given. */
  TSKO_UNRESOLVED_REFERENCE: { reference?: string };
  /**
   * One or more `ko://` references could not be built. `errors` holds one error per reference
   * (its own code, e.g. `TSKO_BUILD_FAILED`), and `details.failures` lists them as data.
   */
  TSKO_RESOLVE_FAILED: { failures?: ResolveFailure[] };
  /** No kubectl on PATH (or at the `kubectl` option). */
  TSKO_KUBECTL_NOT_FOUND: ProgramDetails;
  /** kubectl exited with a failure; `stderr` is what it said (bounded). */
  TSKO_KUBECTL_FAILED: ProgramDetails & { verb?: string };
}

/** One reference that could not be built, and every place that used it. */
export interface ResolveFailure {
  reference: string;
  /** `file:line` for YAML files, `<input>:line` for text, `input[0].spec…` for objects. */
  locations: string[];
  code: TskoError['code'];
  message: string;
}

/** The codes only `@tsko/resolve` throws. */
export type ResolveErrorCode = keyof ResolveErrorDetailsMap;

declare module '@tsko/registry' {
  interface TskoErrorDetailsMap extends ResolveErrorDetailsMap {}
  interface TskoErrorContext {
    /** The `ko://` reference whose build failed, and where it is used (added by resolve). */
    reference?: string;
    locations?: string[];
  }
}
