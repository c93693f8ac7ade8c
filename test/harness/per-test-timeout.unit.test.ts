import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/hanging-tests.ts', import.meta.url));
const register = new URL('../../scripts/per-test-timeout/register.mjs', import.meta.url).href;
// Without NODE_TEST_CONTEXT: inherited from this test's own runner, it would make the nested
// `node --test` report to a parent that is not listening and exit 0.
const { NODE_TEST_CONTEXT: _parentRunner, ...cleanEnv } = process.env;

describe('the test runner bounds each test, not each file', () => {
  it('a hung test or hook fails on its own after TSKO_TEST_TIMEOUT_MS; the others pass', () => {
    const started = Date.now();
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', register, '--test', '--test-reporter=tap', fixture],
      { encoding: 'utf8', env: { ...cleanEnv, TSKO_TEST_TIMEOUT_MS: '1000' }, timeout: 60_000 },
    );
    const elapsed = Date.now() - started;
    const result = (name: string) => new RegExp(`^\\s*(not ok|ok) \\d+ - ${name}$`, 'm').exec(run.stdout)?.[1];
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.equal(result('passes quickly'), 'ok');
    assert.equal(result('hangs'), 'not ok');
    assert.match(run.stdout, /test timed out after 1000ms/);
    assert.equal(result('runs after the hung one'), 'ok');
    assert.equal(result('sets its own longer timeout'), 'ok', 'a test that sets a timeout keeps it');
    assert.equal(result('never runs'), 'not ok');
    assert.match(run.stdout, /hook timed out after 1000ms|timed out after 1000ms[\s\S]*never runs/);
    assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
  });

  it('refuses a TSKO_TEST_TIMEOUT_MS that is not a positive whole number', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', register, '--test', fixture], {
      encoding: 'utf8',
      env: { ...cleanEnv, TSKO_TEST_TIMEOUT_MS: '5m' },
      timeout: 60_000,
    });
    assert.notEqual(run.status, 0);
    assert.match(
      run.stdout + run.stderr,
      /TSKO_TEST_TIMEOUT_MS must be a positive whole number of milliseconds; got 5m/,
    );
  });
});
