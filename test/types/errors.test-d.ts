// Compiled by `pnpm typecheck` (tsconfig.test.json), never run: each `@ts-expect-error` is a
// claim that the line must NOT compile; if it ever does, tsc reports the unused directive.
import { isTskoError, TskoError, type TskoErrorCode, type TskoErrorDetails } from '@tsko/resolve';

// Every layer's codes are in the one union once resolve (hence core) is imported.
const codes: TskoErrorCode[] = [
  'TSKO_NOT_FOUND', // registry
  'TSKO_PROGRAM_TIMEOUT', // registry's process runner
  'TSKO_GO_MODULE_INVALID', // core
  'TSKO_BUILD_PROGRAM_REFUSED', // core
  'TSKO_RESOLVE_FAILED', // resolve
  'TSKO_KUBECTL_FAILED', // resolve
];
void codes;

// @ts-expect-error a misspelt code
const misspelt: TskoErrorCode = 'TSKO_NOT_FUOND';
void misspelt;

// @ts-expect-error a code nobody throws
new TskoError('TSKO_SOMETHING_ELSE', 'x');

// details are checked against the code
new TskoError('TSKO_BUILD_FAILED', 'go build failed', { details: { importPath: 'example.com/a', output: 'x' } });
new TskoError('TSKO_DIGEST_MISMATCH', 'bad bytes', { details: { expected: 'sha256:00', actual: 'sha256:11' } });
// @ts-expect-error `registry` belongs to TSKO_UNAUTHORIZED, not TSKO_DIGEST_MISMATCH
new TskoError('TSKO_DIGEST_MISMATCH', 'bad bytes', { details: { registry: 'r.example.com' } });
// @ts-expect-error a field of the right name with the wrong type
new TskoError('TSKO_CONFIG_INVALID', 'bad', { details: { line: 'twelve' } });
// @ts-expect-error a code without details of its own takes only the shared context
new TskoError('TSKO_ABORTED', 'aborted', { details: { file: 'a.yaml' } });
// The shared context (added when an error is passed on) fits any code.
new TskoError('TSKO_ABORTED', 'aborted', { details: { repo: 'r.example.com/team' } });

// isTskoError narrows to the code, and so to its details.
declare const err: unknown;
if (isTskoError(err, 'TSKO_BUILD_FAILED')) {
  const output: string | undefined = err.details?.output;
  void output;
  // @ts-expect-error TSKO_BUILD_FAILED has no `registry`
  void err.details?.registry;
}
if (isTskoError(err, 'TSKO_RESOLVE_FAILED')) {
  const failures = err.details?.failures ?? [];
  const where: string[] | undefined = failures[0]?.locations;
  void where;
}
// @ts-expect-error isTskoError takes only known codes
isTskoError(err, 'TSKO_NOPE');

// A generic code gives the union of its details.
function detailsOf<C extends TskoErrorCode>(e: TskoError<C>): TskoErrorDetails<C> | undefined {
  return e.details;
}
void detailsOf;
