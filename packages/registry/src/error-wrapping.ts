import { isTskoError, TskoError } from './errors.js';

/** Node's errno codes that mean "the path is the wrong kind of thing" rather than "the disk failed". */
const PATH_SHAPE = new Set(['ENOTDIR', 'EISDIR', 'EEXIST', 'ENOENT', 'ELOOP', 'ENAMETOOLONG', 'EINVAL']);
const WHY: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'something that is not a folder is already there',
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A file-system failure as a `TskoError` naming what the path was for (`cacheDir`, `layout
 * path`, …): `TSKO_PATH_INVALID` when the path itself is wrong (a file where a folder must be,
 * a folder where a file must be), `TSKO_FILESYSTEM` for everything else (permissions, space).
 */
export function fileSystemError(err: unknown, what: string, path: string): TskoError {
  if (isTskoError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const why = WHY[code] ?? (err as Error | undefined)?.message ?? String(err);
  return new TskoError(
    PATH_SHAPE.has(code) ? 'TSKO_PATH_INVALID' : 'TSKO_FILESYSTEM',
    `${what} ${path}: ${why}${code ? ` (${code})` : ''}.`,
    {
      cause: err,
      details: { path, what, ...(code ? { errno: code } : {}) },
    },
  );
}

/**
 * The one place where public functions turn an error they did not expect into a
 * `TskoError`, so callers can rely on `code`: a TskoError passes through; a file-system error
 * names its path; a stack overflow (a cyclic or absurdly deep input) is an invalid argument;
 * anything else is `TSKO_INTERNAL` naming the operation, with the original as `cause`.
 */
export function asTskoError(err: unknown, operation: string): TskoError {
  if (isTskoError(err)) return err;
  const e = err as (NodeJS.ErrnoException & { name?: string }) | undefined;
  if (
    e &&
    typeof e === 'object' &&
    typeof e.code === 'string' &&
    /^E[A-Z]+$/.test(e.code) &&
    typeof e.path === 'string'
  ) {
    return fileSystemError(err, `${operation}:`, e.path);
  }
  if (e?.name === 'AbortError') return new TskoError('TSKO_ABORTED', `${operation} was aborted.`, { cause: err });
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `${operation}: the input is nested too deeply (or refers to itself).`,
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TskoError(
    'TSKO_INTERNAL',
    `${operation} failed unexpectedly: ${message.slice(0, 500)}. This is a bug in tsko; please report it with this message.`,
    { cause: err },
  );
}

/** Runs `fn`, converting whatever it throws with `asTskoError`. */
export async function guarded<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asTskoError(err, operation);
  }
}
