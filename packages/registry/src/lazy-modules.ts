import { createRequire } from 'node:module';

// Dependencies that cost more to load than most programs spend using them (measured in a fresh
// Node 20 process: undici ~250 ms, zod ~130 ms, tar-stream ~30 ms, node:tls ~15 ms), loaded where they are
// first needed so that importing @tsko/registry stays cheap. Synchronous users (schemas) take
// zod and tar-stream through require (zod's CommonJS build); undici is awaited before a request.
const require = createRequire(import.meta.url);

let zodModule: typeof import('zod') | undefined;
let undiciModule: Promise<typeof import('undici')> | undefined;
let tlsModule: Promise<typeof import('node:tls')> | undefined;
let tarStreamModule: typeof import('tar-stream') | undefined;

/** zod, loaded on first use. */
export function zod(): typeof import('zod') {
  zodModule ??= require('zod') as typeof import('zod');
  return zodModule;
}

/** undici, loaded on the first request. */
export function undici(): Promise<typeof import('undici')> {
  undiciModule ??= import('undici');
  return undiciModule;
}

/** node:tls (~15 ms, loaded by the first connection's secure context). */
export function tls(): Promise<typeof import('node:tls')> {
  tlsModule ??= import('node:tls');
  return tlsModule;
}

/** tar-stream, loaded on the first archive. */
export function tarStream(): typeof import('tar-stream') {
  tarStreamModule ??= require('tar-stream') as typeof import('tar-stream');
  return tarStreamModule;
}
