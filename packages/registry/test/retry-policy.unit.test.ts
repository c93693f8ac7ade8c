import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTskoError } from '@tsko/registry';
import {
  backoffDelay,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  isTransient,
  parseRetryAfter,
  registryTimeouts,
  retryPolicy,
} from '../src/client/retry-policy.js';

describe('retry policy', () => {
  it('fills in the documented defaults', () => {
    assert.deepEqual(retryPolicy(undefined), { attempts: 6, baseDelayMs: 200, maxDelayMs: 5000 });
    assert.deepEqual(registryTimeouts(undefined), { connectMs: 5000, responseMs: 10000, requestMs: 20000 });
    assert.deepEqual(retryPolicy({ attempts: 2 }), { ...DEFAULT_RETRY, attempts: 2 });
    assert.deepEqual(registryTimeouts({ requestMs: 1 }), { ...DEFAULT_TIMEOUTS, requestMs: 1 });
  });

  for (const [field, bad] of [
    ['attempts', 0],
    ['attempts', Number.NaN],
    ['baseDelayMs', -1],
    ['maxDelayMs', Infinity],
  ] as const) {
    it(`refuses retry.${field} = ${bad} naming the field`, () => {
      assert.throws(
        () => retryPolicy({ [field]: bad }),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT') && err.message.includes(`retry.${field}`),
      );
    });
  }
  for (const [field, bad] of [
    ['connectMs', 0],
    ['responseMs', -5],
    ['requestMs', Number.NaN],
    ['requestMs', '20' as unknown as number],
  ] as const) {
    it(`refuses timeouts.${field} = ${String(bad)} naming the field`, () => {
      assert.throws(
        () => registryTimeouts({ [field]: bad }),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT') && err.message.includes(`timeouts.${field}`),
      );
    });
  }

  it('backs off exponentially within ±25%, capped at maxDelayMs', () => {
    const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    for (let attempt = 1; attempt <= 6; attempt++) {
      const nominal = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(policy, attempt, undefined);
        assert.ok(d >= nominal * 0.75 - 1 && d <= nominal * 1.25 + 1, `attempt ${attempt}: ${d}`);
      }
    }
  });

  it('honours Retry-After in seconds or as a date, bounded by maxDelayMs', () => {
    const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 3000 };
    assert.equal(backoffDelay(policy, 1, '2'), 2000);
    assert.equal(backoffDelay(policy, 1, ['0']), 0);
    assert.equal(backoffDelay(policy, 1, '120'), 3000);
    const inOneSecond = new Date(Date.now() + 1500).toUTCString();
    const d = backoffDelay(policy, 1, inOneSecond);
    assert.ok(d > 0 && d <= 1500, String(d));
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(new Date(0).toUTCString()), 0);
  });

  it('knows which failures may heal', () => {
    assert.equal(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
    assert.equal(
      isTransient(Object.assign(new Error('x'), { code: 'UND_ERR', cause: { code: 'UND_ERR_SOCKET' } })),
      true,
    );
    assert.equal(isTransient(Object.assign(new Error('x'), { code: 'ENOENT' })), false);
    assert.equal(isTransient(new Error('plain')), false);
  });
});
