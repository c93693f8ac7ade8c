import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTskoError, publish } from '@tsko/core';
import { startRegistry, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, testEnvironment } from './helpers.js';

describe('publish tags cannot escape the repository', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry('plain');
  });
  after(() => registry?.stop());

  for (const tag of ['../../../prod/app/manifests/latest', '%2e%2e', '', 'a/b', 'x'.repeat(129)]) {
    it(`publish({ tags: [${JSON.stringify(tag.slice(0, 40))}] }) is refused, naming it, before any build or request`, async () => {
      const started = Date.now();
      await assert.rejects(
        publish('./cmd/server', {
          dir: FIXTURE,
          repo: `${registry.host}/dev`,
          baseImage: 'scratch',
          platforms: ['linux/amd64'],
          tags: ['v1', tag],
          environment: testEnvironment(),
        }),
        (err: unknown) => {
          assert.ok(isTskoError(err), String(err));
          // An empty tag is caught by the options schema first; the rest by the tag grammar.
          assert.equal(err.code, tag === '' ? 'TSKO_CONFIG_INVALID' : 'TSKO_INVALID_REFERENCE', err.message);
          if (tag)
            assert.ok(err.message.includes(tag.slice(0, 100)) && err.message.includes('options.tags[1]'), err.message);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, 'refused before building');
      assert.deepEqual(await registry.requests(), [], 'nothing reached the registry');
    });
  }
});
