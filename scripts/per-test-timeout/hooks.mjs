// Module resolution hook (runs on Node's loader thread): `node:test` imported from anywhere but
// the wrapper itself resolves to the wrapper.
const wrapper = new URL('./node-test.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'node:test' && context.parentURL !== wrapper) return { url: wrapper, shortCircuit: true };
  return nextResolve(specifier, context);
}
