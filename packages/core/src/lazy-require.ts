import { createRequire } from 'node:module';

// zod (~130 ms to load in a fresh process, more than the rest of this package) and yaml
// (~70 ms) are loaded by their first use instead of at import. Through require, because
// option checks and .ko.yaml parsing are synchronous. Each user keeps its loader to itself
// (a module-level const), so no declaration file names their types.
const require = createRequire(import.meta.url);

/** A loader that requires `specifier` (resolved from this package) the first time it is called. */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}
