import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isTskoError,
  pickPublishOptions,
  PUBLISH_OPTION_KEYS,
  publishOptions,
  splitOptions,
  type PublishOptions,
} from '@tsko/core';

const rejectsWith = (options: unknown, message: string | RegExp) =>
  assert.throws(
    () => splitOptions(options as PublishOptions),
    (e: unknown) =>
      isTskoError(e, 'TSKO_CONFIG_INVALID') &&
      (typeof message === 'string' ? e.message === message : message.test(e.message)),
  );

describe('publish options: a plan (what to build) and its execution (where it goes, how it runs)', () => {
  it('routes every option to the half whose schema names it', () => {
    const signal = new AbortController().signal;
    const onEvent = () => {};
    const { plan, exec } = splitOptions({
      repo: 'registry.example.com/team',
      platforms: ['linux/amd64'],
      tags: ['v1'],
      sbom: 'none',
      goBinary: 'go',
      push: false,
      sinks: [{ type: 'layout', path: 'out' }],
      cacheDir: false,
      insecureRegistries: ['127.0.0.2:5000'],
      imageRefsFile: 'refs.txt',
      concurrency: 2,
      signal,
      onEvent,
    });
    assert.deepEqual(plan, {
      repo: 'registry.example.com/team',
      platforms: ['linux/amd64'],
      tags: ['v1'],
      sbom: 'none',
      goBinary: 'go',
    });
    assert.deepEqual(Object.keys(exec).sort(), [
      'cacheDir',
      'concurrency',
      'imageRefsFile',
      'insecureRegistries',
      'onEvent',
      'push',
      'signal',
      'sinks',
    ]);
    // Live objects pass through as the caller's own, not copies.
    assert.equal(exec.signal, signal);
    assert.equal(exec.onEvent, onEvent);
  });

  it('knows each option name once, and the plan holds no live values', () => {
    assert.equal(new Set(PUBLISH_OPTION_KEYS).size, PUBLISH_OPTION_KEYS.length);
    const { plan, exec } = splitOptions(Object.fromEntries(PUBLISH_OPTION_KEYS.map((k) => [k, undefined])));
    assert.equal(Object.keys(plan).length + Object.keys(exec).length, PUBLISH_OPTION_KEYS.length);
    for (const live of ['signal', 'onEvent', 'credentials', 'environment', 'timeouts', 'retry']) {
      assert.ok(live in exec && !(live in plan), `${live} is execution`);
    }
  });

  it('composes the flat options from a plan and an execution', () => {
    assert.deepEqual(publishOptions({ repo: 'r', tags: ['v1'] }, { push: false }), {
      repo: 'r',
      tags: ['v1'],
      push: false,
    });
    assert.deepEqual(publishOptions({ dir: '.' }), { dir: '.' });
  });

  it("separates core's options from a caller's own (resolve's selector, recursive, build)", () => {
    const build = async (r: string) => r;
    const { publish, rest } = pickPublishOptions({ repo: 'r', concurrency: 3, selector: 'a=b', build });
    assert.deepEqual(publish, { repo: 'r', concurrency: 3 });
    assert.deepEqual(rest, { selector: 'a=b', build });
  });

  it('names a misspelt option of either half by its nearest known name', () => {
    rejectsWith({ platfroms: ['linux/amd64'] }, 'options.platfroms is not an option; did you mean platforms?');
    rejectsWith({ pussh: false }, 'options.pussh is not an option; did you mean push?');
    rejectsWith({ conccurency: 2 }, 'options.conccurency is not an option; did you mean concurrency?');
  });

  it('says what an execution option must be and what it got', () => {
    rejectsWith({ concurrency: 0 }, 'options.concurrency must be a positive integer; got 0.');
    rejectsWith({ pushConcurrency: 1.5 }, 'options.pushConcurrency must be a positive integer; got 1.5.');
    rejectsWith({ onEvent: 'log' }, 'options.onEvent must be a function; got log.');
    rejectsWith({ signal: {} }, 'options.signal must be an AbortSignal; got object.');
    rejectsWith({ environment: null }, 'options.environment must be an object of environment variables; got null.');
    rejectsWith({ sinks: [{ type: 'oci', path: 'x' }] }, /^options\.sinks\.0\.type: /);
    rejectsWith(
      { cacheDir: true },
      'options.cacheDir must be a folder path, or false for a throw-away cache; got boolean.',
    );
  });

  it('never shows the value of credentials in a message', () => {
    assert.throws(
      () => splitOptions({ credentials: 'hunter2' as never }),
      (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && !e.message.includes('hunter2'),
    );
  });
});
