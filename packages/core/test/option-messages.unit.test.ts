import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedForms, nearestName, unknownKeysMessage } from '../src/option-messages.js';

const KNOWN = [
  'platforms',
  'baseImage',
  'baseImageOverrides',
  'repo',
  'tags',
  'tagOnly',
  'ldflags',
  'flags',
  'env',
  'onEvent',
  'concurrency',
  'pushConcurrency',
];

describe('option messages suggest the nearest known name and the accepted forms', () => {
  for (const [typo, expected] of [
    ['platfroms', 'platforms'],
    ['platform', 'platforms'],
    ['Platforms', 'platforms'],
    ['baseimage', 'baseImage'],
    ['repos', 'repo'],
    ['ldflag', 'ldflags'],
    ['tag', 'tags'],
    ['onevent', 'onEvent'],
    ['concurency', 'concurrency'],
    ['baseImageOverride', 'baseImageOverrides'],
  ] as const) {
    it(`${typo} → ${expected}`, () => assert.equal(nearestName(typo, KNOWN), expected));
  }
  for (const far of ['zzzzzz', 'x', 'kubeconfig', 'registry']) {
    it(`${far} is too far from every option to guess`, () => assert.equal(nearestName(far, KNOWN), undefined));
  }
  it('names each unknown key once, with no "(options)" label', () => {
    const message = unknownKeysMessage(['platfroms', 'zzzz'], KNOWN);
    assert.equal(message.split('is not an option').length, 3);
    assert.ok(
      message.startsWith(
        'options.platfroms is not an option; did you mean platforms? options.zzzz is not an option (known: ',
      ),
    );
    assert.ok(!message.includes('(options)'));
  });
  it('says what forms platforms accepts', () => {
    assert.match(
      acceptedForms('platforms', 'linux/amd64')!,
      /'all' or a list .* got the string 'linux\/amd64' \(wrap it in a list: \['linux\/amd64'\]\)\.$/,
    );
    assert.match(acceptedForms('platforms', 3)!, /got number\.$/);
    assert.equal(acceptedForms('dir', 3), undefined);
  });
});
