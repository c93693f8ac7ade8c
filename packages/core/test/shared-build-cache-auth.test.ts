import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publish, type CoreEvent } from '@tsko/core';
import { startRegistry, TEST_PASSWORD, TEST_USER, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, testEnvironment } from './helpers.js';

type CacheEvent = Extract<CoreEvent, { type: 'build:shared-cache' }>;
const cacheEvents = (events: CoreEvent[]) => events.filter((e): e is CacheEvent => e.type === 'build:shared-cache');

/*
 * The cache repository behind htpasswd, the images in a plain registry: the push's
 * credentials reach the cache, a wrong password only costs a compile, and no event carries a
 * credential.
 */
describe('shared build cache behind htpasswd', () => {
  let target: TestRegistry;
  let secured: TestRegistry;
  let work: string;
  before(async () => {
    [target, secured] = await Promise.all([startRegistry('plain'), startRegistry('htpasswd')]);
    work = await mkdtemp(join(tmpdir(), 'tsko-shared-auth-'));
  });
  after(async () => {
    await Promise.all([target?.stop(), secured?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const run = async (name: string, password: string, warm: boolean) => {
    const root = join(work, name);
    await cp(FIXTURE, join(root, 'app'), { recursive: true });
    await mkdir(join(root, 'gocache'), { recursive: true });
    const events: CoreEvent[] = [];
    const env = testEnvironment({ GOPROXY: 'off', ...(warm ? {} : { GOCACHE: join(root, 'gocache') }) });
    const result = await publish('./cmd/server', {
      dir: join(root, 'app'),
      repo: `${target.host}/apps`,
      baseImage: 'scratch',
      platforms: ['linux/amd64'],
      cacheDir: join(root, 'cache'),
      environment: env,
      credentials: { [secured.host]: { username: TEST_USER, password } },
      buildCache: { repo: `${secured.host}/cache` },
      onEvent: (e) => events.push(e),
    });
    return { result, events, gocache: await readdir(join(root, 'gocache')) };
  };

  it('shares builds with credentials, and a wrong password only costs a compile; no secret in any event', async () => {
    const a = await run('a', TEST_PASSWORD, true);
    assert.ok(cacheEvents(a.events).some((e) => e.result === 'stored'));
    const b = await run('b', TEST_PASSWORD, false);
    assert.equal(b.result.digest, a.result.digest);
    assert.deepEqual(b.gocache, [], 'no compile on B');
    assert.ok(cacheEvents(b.events).some((e) => e.result === 'hit'));
    const wrong = 'not the password at all';
    const c = await run('c', wrong, true);
    assert.equal(c.result.digest, a.result.digest);
    const failed = cacheEvents(c.events).find((e) => e.result === 'read-failed');
    assert.match(failed?.reason ?? '', /TSKO_UNAUTHORIZED/);
    for (const text of [a, b, c].map((x) => JSON.stringify(x.events))) {
      assert.ok(!text.includes(TEST_PASSWORD) && !text.includes(wrong), 'no credential in events');
      assert.ok(!text.includes(Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64')));
    }
  });
});
