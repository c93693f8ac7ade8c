import type { TskoErrorCode, TskoErrorDetails } from './error-codes.js';

export type {
  ProgramDetails,
  TskoErrorCode,
  TskoErrorContext,
  TskoErrorDetails,
  TskoErrorDetailsMap,
} from './error-codes.js';

/**
 * One error class for the whole SDK. `code` is stable and meant for programs; `message` is
 * meant for people and says what to do next. The brand lives on a global symbol so that
 * `isTskoError` (and `instanceof`) work when two copies of the package are loaded, which is
 * common in Pulumi and CDK8s programs.
 */
const BRAND = Symbol.for('tsko.error');

/** An error code the registry itself returned in its `errors[]` body. */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
}

export interface TskoErrorOptions<C extends TskoErrorCode = TskoErrorCode> {
  cause?: unknown;
  /** HTTP status of the response that caused this error, if any. */
  status?: number;
  /** The registry's own `errors[]` entries, if it sent any. */
  registryErrors?: RegistryErrorDetail[];
  /** Structured context (file, field path, reference...), typed per code. Never secrets. */
  details?: TskoErrorDetails<C>;
  /** The failures an aggregate error stands for (as `AggregateError.errors`), e.g. one per reference. */
  errors?: readonly TskoError[];
}

/**
 * `TskoError<'TSKO_NOT_FOUND'>` is an error of that code with its `details`; plain `TskoError`
 * is any of them. `isTskoError(err, code)` narrows to the first.
 */
export class TskoError<C extends TskoErrorCode = TskoErrorCode> extends Error {
  readonly code: C;
  readonly status?: number;
  readonly registryErrors?: RegistryErrorDetail[];
  readonly details?: TskoErrorDetails<C>;
  /** Set on errors that stand for several failures (`TSKO_RESOLVE_FAILED`): each of them. */
  readonly errors?: readonly TskoError[];

  constructor(code: C, message: string, options: TskoErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TskoError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.registryErrors?.length) this.registryErrors = options.registryErrors;
    if (options.details) this.details = options.details;
    if (options.errors) this.errors = options.errors;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isTskoError(value);
  }
}

/** True for any tsko error, whichever copy of the package created it. */
export function isTskoError<C extends TskoErrorCode = TskoErrorCode>(value: unknown, code?: C): value is TskoError<C> {
  if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
  return code === undefined || (value as unknown as TskoError).code === code;
}

/** Throws `TSKO_ABORTED` if the signal has fired, keeping the abort reason as `cause`. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export function abortError(signal: AbortSignal): TskoError<'TSKO_ABORTED'> {
  return new TskoError('TSKO_ABORTED', 'The operation was aborted by its AbortSignal.', {
    cause: signal.reason,
  });
}
