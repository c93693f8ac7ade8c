import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseAttachment, isTskoError } from '@tsko/core';

describe("chooseAttachment: the caller's SBOM attachment, else what the registry supports", () => {
  const probe = (supported: boolean) => {
    const calls: number[] = [];
    return {
      calls,
      fn: async () => {
        calls.push(1);
        return supported;
      },
    };
  };

  it('defaults to referrers where the API answers and to the tag where it does not', async () => {
    assert.equal(await chooseAttachment(undefined, 'r.example/app', probe(true).fn), 'referrers');
    assert.equal(await chooseAttachment(undefined, 'r.example/app', probe(false).fn), 'tag');
  });

  it('tag never asks the registry', async () => {
    const p = probe(true);
    assert.equal(await chooseAttachment('tag', 'r.example/app', p.fn), 'tag');
    assert.equal(p.calls.length, 0);
  });

  it('referrers and both are kept where supported, and refused with an actionable error where not', async () => {
    assert.equal(await chooseAttachment('referrers', 'r.example/app', probe(true).fn), 'referrers');
    assert.equal(await chooseAttachment('both', 'r.example/app', probe(true).fn), 'both');
    for (const asked of ['referrers', 'both'] as const) {
      await assert.rejects(chooseAttachment(asked, 'r.example/app', probe(false).fn), (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_REFERRERS_UNSUPPORTED'));
        assert.match(err.message, new RegExp(`sbomAttachment: '${asked}'.*r\\.example/app.*sbomAttachment: 'tag'`));
        return true;
      });
    }
  });
});
