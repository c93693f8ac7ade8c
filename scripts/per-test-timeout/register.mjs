// Loaded with `--import` into every test process by scripts/run-tests.mjs: routes the test
// files' `import … from 'node:test'` to node-test.mjs, which gives each test and hook a default
// timeout. Why not `node --test --test-timeout`: with one process per test file (Node 20 and
// 22 alike) that flag bounds the whole file, not each test, so it cannot be short without
// failing long files, and a long one lets a single hung test stall CI for that long.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
