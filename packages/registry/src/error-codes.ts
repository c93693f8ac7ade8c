import type { Digest } from './digest.js';

/**
 * Every error code `@tsko/registry` throws, mapped to the `details` it carries. The union of
 * codes is `keyof` this interface, so it is closed: a misspelt code does not compile, and
 * `new TskoError(code, message, { details })` checks `details` against the code.
 *
 * Higher layers add their own codes by declaration merging (`declare module '@tsko/registry'`
 * in `@tsko/core` and `@tsko/resolve`), so each code is declared by the package that throws it
 * and registry never learns about Go builds or YAML. Codes thrown in more than one package are
 * declared here, in the lowest one, with the fields any of them uses.
 *
 * Image I/O codes (OCI layout, docker daemon, lock files) are declared here too: that code is
 * image I/O and belongs to this package, wherever it lives today.
 */
export interface TskoErrorDetailsMap {
  /** A reference, tag, digest or repository path is malformed. */
  TSKO_INVALID_REFERENCE: { reference?: string; field?: string; value?: string; locations?: string[] };
  /** An option or input is the wrong shape or out of range. */
  TSKO_INVALID_ARGUMENT: {
    field?: string;
    value?: string;
    file?: string;
    location?: string;
    reference?: string;
    /** A build flag that may not be set this way (`-o`). */
    flag?: string;
    unknownKeys?: string[];
  };
  /** A manifest or index fails its schema. */
  TSKO_INVALID_MANIFEST: { reference?: string };
  /** A manifest, layer or config has a media type tsko cannot handle. */
  TSKO_UNSUPPORTED_MEDIA_TYPE: { mediaType?: string; digest?: Digest };
  /** Bytes did not hash to the digest that named them. */
  TSKO_DIGEST_MISMATCH: { expected?: Digest | string; actual?: Digest | string };
  /** The registry refused the credentials, or none were found. */
  TSKO_UNAUTHORIZED: { registry?: string; credentialsFound?: boolean; host?: string };
  /** The credentials were accepted but lack permission. */
  TSKO_DENIED: TskoErrorContext;
  /** A repository, tag, manifest, blob or file does not exist. */
  TSKO_NOT_FOUND: { path?: string; file?: string; digest?: Digest };
  /** No image in an index matches the wanted platform. */
  TSKO_PLATFORM_NOT_FOUND: { wanted?: string; platform?: string; base?: string };
  /** The registry answered with an error that has no more specific code. */
  TSKO_REGISTRY_ERROR: TskoErrorContext;
  /** The registry could not be reached, or kept failing after retries. */
  TSKO_REGISTRY_UNAVAILABLE: { code?: string; timedOut?: boolean; offset?: number };
  /** A request would leave HTTPS, or go over plain HTTP to a host not marked insecure. */
  TSKO_INSECURE_REGISTRY: { from?: string; to?: string };
  /** A TLS handshake failed (untrusted certificate, wrong name). */
  TSKO_TLS: TskoErrorContext;
  /** A credentials file or helper could not be read or run. */
  TSKO_CREDENTIALS: { file?: string; helper?: string };
  /** The operation's AbortSignal fired. */
  TSKO_ABORTED: TskoErrorContext;
  /** A path is the wrong kind of thing (a file where a folder must be, a socket in a layer). */
  TSKO_PATH_INVALID: { path?: string; field?: string; what?: string; errno?: string };
  /** The file system failed (permissions, space). */
  TSKO_FILESYSTEM: { path?: string; what?: string; errno?: string };
  /** An existing OCI layout's index.json is not a valid OCI index. */
  TSKO_LAYOUT_INVALID: { file?: string };
  /** A lock file stayed held by a live process for too long. */
  TSKO_LOCKED: { path?: string };
  /** The Docker-API daemon refused or could not load an image. */
  TSKO_DAEMON: { platform?: string; status?: number };
  /** A program tsko ran (go, git, kubectl, a credential helper) is not installed. */
  TSKO_PROGRAM_NOT_FOUND: ProgramDetails;
  /** A program tsko ran exited with a failure, was killed, or wrote more output than allowed. */
  TSKO_PROGRAM_FAILED: ProgramDetails;
  /** A program tsko ran took longer than its time limit and was stopped. */
  TSKO_PROGRAM_TIMEOUT: ProgramDetails;
  /** A bug in tsko. */
  TSKO_INTERNAL: TskoErrorContext;
}

/** What a failed program run carries: which program, how it ended and the end of its output. */
export interface ProgramDetails {
  /** The program's name as given (`go`, `kubectl`), never its arguments (they may hold secrets). */
  program?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** The last bytes of standard error (bounded). */
  stderr?: string;
  /** True when the output was cut at the runner's limit. */
  truncated?: boolean;
  timeoutMs?: number;
}

/**
 * Context a higher layer adds when it passes an error on (which push target, which base image
 * failed); any code may carry it.
 */
export interface TskoErrorContext {
  repo?: string;
  baseImage?: string;
}

/** Stable error codes. Programs should branch on these, never on messages. */
export type TskoErrorCode = keyof TskoErrorDetailsMap;

/** The `details` of an error with code `C`. */
export type TskoErrorDetails<C extends TskoErrorCode = TskoErrorCode> = TskoErrorDetailsMap[C] & TskoErrorContext;
