import { isTskoError, TskoError } from '@tsko/registry';
import type { ResolveFailure } from './errors.js';

/**
 * One reference that could not be built, as an error naming it and every place that uses it.
 * It keeps the code of what went wrong (`TSKO_NOT_MAIN`, `TSKO_UNAUTHORIZED`, …); a build
 * function that throws something else gets `TSKO_BUILD_FAILED`.
 */
export function referenceFailure(reference: string, locations: string[], err: unknown): TskoError {
  const code = isTskoError(err) ? err.code : 'TSKO_BUILD_FAILED';
  return new TskoError(
    code,
    `${reference} (used at ${locations.join(', ')}) could not be built: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err, details: { reference, locations } },
  );
}

/**
 * Every reference that failed, as one error: `TSKO_RESOLVE_FAILED` whose message lists each
 * reference with its `file:line`, whose `errors` holds each failure (like `AggregateError`)
 * and whose `details.failures` says the same as data. People fixing manifests see all broken
 * references in one run, not one per run. An abort is reported as the abort it is.
 */
export function resolveFailed(failures: readonly TskoError[], total: number): TskoError {
  const aborted = failures.find((f) => isTskoError(f.cause, 'TSKO_ABORTED'));
  if (aborted) return aborted.cause as TskoError;
  const list: ResolveFailure[] = failures.map((f) => ({
    reference: f.details?.reference ?? '',
    locations: f.details?.locations ?? [],
    code: f.code,
    message: f.message,
  }));
  // Multi-line messages (go's output) stay indented under their reference.
  const lines = failures.map((f) => `  - [${f.code}] ${f.message.replaceAll('\n', '\n    ')}`);
  return new TskoError(
    'TSKO_RESOLVE_FAILED',
    `${failures.length} of ${total} ko:// reference${total === 1 ? '' : 's'} could not be built:\n${lines.join('\n')}`,
    { errors: failures, details: { failures: list } },
  );
}
