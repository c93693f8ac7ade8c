// node:test with a default timeout for every test (`it`, `test`) and hook (`before`, `after`,
// `beforeEach`, `afterEach`) that does not set its own: TSKO_TEST_TIMEOUT_MS, in milliseconds
// (default 5 min: the longest a test lets its own subprocesses run, e.g. two cold cross-arch Go
// builds on a loaded 2-core machine).
// A test or hook that hangs then fails on its own, naming itself, and the file goes on.
import * as nodeTest from 'node:test';

export * from 'node:test';

const timeout = Number(process.env.TSKO_TEST_TIMEOUT_MS ?? 300_000);
if (!Number.isSafeInteger(timeout) || timeout <= 0) {
  throw new Error(
    `TSKO_TEST_TIMEOUT_MS must be a positive whole number of milliseconds; got ${process.env.TSKO_TEST_TIMEOUT_MS}`,
  );
}

// it(name?, options?, fn?): insert or complete the options object, whatever the call's shape.
function withTimeout(args) {
  const at = args.findIndex((a) => typeof a === 'object' && a !== null);
  if (at >= 0) return args.with(at, { timeout, ...args[at] });
  const fnAt = args.findIndex((a) => typeof a === 'function');
  return fnAt >= 0 ? args.toSpliced(fnAt, 0, { timeout }) : [...args, { timeout }];
}

function wrapTest(original) {
  const wrapped = (...args) => original(...withTimeout(args));
  for (const variant of ['skip', 'todo', 'only']) {
    if (typeof original[variant] === 'function')
      wrapped[variant] = (...args) => original[variant](...withTimeout(args));
  }
  return wrapped;
}

// Hooks take (fn, options?).
const wrapHook =
  (original) =>
  (fn, options = {}) =>
    original(fn, { timeout, ...options });

export const test = wrapTest(nodeTest.test);
export const it = wrapTest(nodeTest.it);
export const before = wrapHook(nodeTest.before);
export const after = wrapHook(nodeTest.after);
export const beforeEach = wrapHook(nodeTest.beforeEach);
export const afterEach = wrapHook(nodeTest.afterEach);
export default test;
