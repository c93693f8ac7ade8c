/**
 * One error class for the whole SDK. `code` is stable and meant for programs; `message` is
 * meant for people and says what to do next. The brand lives on a global symbol so that
 * `isTskoError` (and `instanceof`) work when two copies of the package are loaded, which is
 * common in Pulumi and CDK8s programs.
 */
const BRAND = Symbol.for('tsko.error');

/** Stable error codes. Programs should branch on these, never on messages. */
export type TskoErrorCode =
  | 'TSKO_INVALID_REFERENCE'
  | 'TSKO_INVALID_ARGUMENT'
  | 'TSKO_INVALID_MANIFEST'
  | 'TSKO_UNSUPPORTED_MEDIA_TYPE'
  | 'TSKO_DIGEST_MISMATCH'
  | 'TSKO_UNAUTHORIZED'
  | 'TSKO_DENIED'
  | 'TSKO_NOT_FOUND'
  | 'TSKO_PLATFORM_NOT_FOUND'
  | 'TSKO_REGISTRY_ERROR'
  | 'TSKO_REGISTRY_UNAVAILABLE'
  | 'TSKO_INSECURE_REGISTRY'
  | 'TSKO_TLS'
  | 'TSKO_CREDENTIALS'
  | 'TSKO_ABORTED'
  | 'TSKO_PATH_INVALID'
  | 'TSKO_FILESYSTEM'
  | 'TSKO_INTERNAL'
  | (string & {});

/** An error code the registry itself returned in its `errors[]` body. */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
}

export interface TskoErrorOptions {
  cause?: unknown;
  /** HTTP status of the response that caused this error, if any. */
  status?: number;
  /** The registry's own `errors[]` entries, if it sent any. */
  registryErrors?: RegistryErrorDetail[];
  /** Extra structured context (file, field path, reference...). Never secrets. */
  details?: Record<string, unknown>;
}

export class TskoError extends Error {
  readonly code: TskoErrorCode;
  readonly status?: number;
  readonly registryErrors?: RegistryErrorDetail[];
  readonly details?: Record<string, unknown>;

  constructor(code: TskoErrorCode, message: string, options: TskoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TskoError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.registryErrors?.length) this.registryErrors = options.registryErrors;
    if (options.details) this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isTskoError(value);
  }
}

/** True for any tsko error, whichever copy of the package created it. */
export function isTskoError(value: unknown, code?: TskoErrorCode): value is TskoError {
  if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
  return code === undefined || (value as unknown as TskoError).code === code;
}

/** Throws `TSKO_ABORTED` if the signal has fired, keeping the abort reason as `cause`. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export function abortError(signal: AbortSignal): TskoError {
  return new TskoError('TSKO_ABORTED', 'The operation was aborted by its AbortSignal.', {
    cause: signal.reason,
  });
}
