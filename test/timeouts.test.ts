import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { apply, isTskoError, resolveManifests } from '@tsko/resolve';
import { goTestEnvironment, startBlackHole, type BlackHole } from '@tsko/test-rig';

const SITE = fileURLToPath(new URL('./fixtures/site', import.meta.url));
const environment = goTestEnvironment();

// The black hole stands for a registry that accepts connections and never answers (a hung
// host, a half-open load balancer): nothing real can be told to hang on demand.
describe('registry timeouts reach resolveManifests and apply', () => {
  let hole: BlackHole;
  before(async () => {
    hole = await startBlackHole();
  });
  after(() => hole?.close());

  const options = () => ({
    dir: SITE,
    repo: `${hole.host}/site`,
    baseImage: `${hole.host}/base:1`,
    platforms: ['linux/amd64'],
    environment,
    timeouts: { requestMs: 1500 },
  });

  for (const [name, run] of [
    ['resolveManifests', () => resolveManifests({ files: [join(SITE, 'config')] }, options())],
    [
      'apply',
      () =>
        apply(
          { files: [join(SITE, 'config')] },
          { ...options(), kubectlArgs: ['--server=http://127.0.0.1:9', '--validate=false'] },
        ),
    ],
  ] as const) {
    it(`${name} fails typed within its timeouts option when the registry hangs`, async () => {
      const started = Date.now();
      // The push target is checked before anything is built, so the error names it (not a reference).
      await assert.rejects(
        run(),
        (err: unknown) =>
          isTskoError(err, 'TSKO_REGISTRY_UNAVAILABLE') &&
          err.message.includes(`The push target ${hole.host}/site`) &&
          err.message.includes(hole.host),
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1400 && elapsed < 5000, `took ${elapsed} ms`);
    });
  }
});
