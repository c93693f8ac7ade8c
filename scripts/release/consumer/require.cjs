// Runtime counterpart of src/cjs.cts: plain require() of the installed tarballs works on the
// Node the packages support (engines: >= 20.19) and an error made by one package is recognised
// by another (the packages share one TskoError brand).
const assert = require('node:assert/strict');
const registry = require('@tsko/registry');
const core = require('@tsko/core');
const resolve = require('@tsko/resolve');

assert.equal(typeof core.publish, 'function');
assert.equal(typeof resolve.resolveManifests, 'function');
const image = registry.emptyImage({ os: 'linux', architecture: 'amd64' });
assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
assert.ok(resolve.isTskoError(new registry.TskoError('TSKO_INVALID_ARGUMENT', 'x')));
console.log(`require(esm) ok on Node ${process.versions.node}: ${image.digest}`);
