import { createRequire } from 'node:module';

// yaml costs ~70 ms to load in a fresh process, a large part of importing this package: it is
// loaded by the first parse or stringify, through require because those are synchronous.
const require = createRequire(import.meta.url);
let loaded: typeof import('yaml') | undefined;

/** yaml, loaded on first use. */
export function yaml(): typeof import('yaml') {
  loaded ??= require('yaml') as typeof import('yaml');
  return loaded;
}
