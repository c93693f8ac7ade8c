import { createRequire } from 'node:module';

// Some dependencies cost more to load than most programs spend using them (measured in a
// fresh Node 20 process: undici ~250 ms, zod ~130 ms, tar-stream ~30 ms, node:tls ~15 ms), so
// they are loaded where first needed and importing @tsko/registry stays cheap. Each user keeps
// its loader to itself (a module-level const), so no declaration file names their types.
const require = createRequire(import.meta.url);

/** A loader that requires `specifier` (resolved from this package) the first time it is called: for synchronous users. */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}

/** A loader that runs `load` (an `import()`) the first time it is called. */
export function lazyImport<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
