import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rendezvous, type Arrival } from '../src/go/rendezvous.js';

/** A rendezvous that doubles numbers and records each round it ran. */
function doubling() {
  const rounds: number[][] = [];
  const r = new Rendezvous<number, number>(async (arrivals: Arrival<number, number>[]) => {
    rounds.push(arrivals.map((a) => a.input));
    for (const a of arrivals) a.resolve(a.input * 2);
  });
  return { r, rounds };
}

describe('Rendezvous: one round for every member on its way', () => {
  it('runs a single member at once', async () => {
    const { r, rounds } = doubling();
    assert.equal(await r.join().arrive(4), 8);
    assert.deepEqual(rounds, [[4]]);
  });

  it('waits for every joined member, then runs them as one round', async () => {
    const { r, rounds } = doubling();
    const [a, b, c] = [r.join(), r.join(), r.join()];
    const first = a.arrive(1);
    await new Promise((done) => setImmediate(done));
    assert.deepEqual(rounds, [], 'two members are still on their way');
    const rest = [b.arrive(2), c.arrive(3)];
    assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6]);
    assert.deepEqual(rounds, [[1, 2, 3]]);
  });

  it('a member that leaves lets the round run without it; leaving twice or after arriving is harmless', async () => {
    const { r, rounds } = doubling();
    const [a, b] = [r.join(), r.join()];
    const answer = a.arrive(5);
    a.leave();
    b.leave();
    b.leave();
    assert.equal(await answer, 10);
    assert.deepEqual(rounds, [[5]]);
  });

  it('members joining after a round started form the next round', async () => {
    const { r, rounds } = doubling();
    const one = r.join().arrive(1);
    await new Promise((done) => setImmediate(done));
    const late = r.join();
    await one;
    assert.equal(await late.arrive(2), 4);
    assert.deepEqual(rounds, [[1], [2]]);
  });

  it('rejects every member left unanswered, and all of them when the round throws', async () => {
    const partial = new Rendezvous<number, number>(async (arrivals) => arrivals[0]!.resolve(0));
    const [a, b] = [partial.join(), partial.join()];
    const results = await Promise.allSettled([a.arrive(1), b.arrive(2)]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /unanswered/);
    const failing = new Rendezvous<number, number>(async () => {
      throw new Error('go is gone');
    });
    await assert.rejects(failing.join().arrive(1), /go is gone/);
  });

  it('a ticket arrives once', async () => {
    const { r } = doubling();
    const t = r.join();
    await t.arrive(1);
    await assert.rejects(t.arrive(2), /used twice/);
  });
});
