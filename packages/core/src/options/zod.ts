import { createRequire } from 'node:module';

// zod costs ~130 ms to load in a fresh process, more than importing the rest of this package:
// it is loaded by the first validation, through require (its CommonJS build) because option
// checks are synchronous.
const require = createRequire(import.meta.url);
let loaded: typeof import('zod') | undefined;

/** zod, loaded on first use. */
export function zod(): typeof import('zod') {
  loaded ??= require('zod') as typeof import('zod');
  return loaded;
}
