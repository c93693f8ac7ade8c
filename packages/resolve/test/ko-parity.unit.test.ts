// Cases ported from ko (github.com/ko-build/ko): the inputs and expectations of its resolve
// and selector tests, restated against resolveManifests. Grouped by the ko file they come from.
// ko's tests use a fixed builder and publisher (name → <base>/<import path>@<digest>); the
// `build` option plays that part here, so no Go or registry is needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { isTskoError, parseSelector, resolveManifests, type BuildReference } from '@tsko/resolve';

const foo = 'github.com/awesomesauce/foo';
const bar = 'github.com/awesomesauce/bar';
const baz = 'github.com/awesomesauce/baz';
const hashes: Record<string, string> = { [foo]: 'a'.repeat(64), [bar]: 'b'.repeat(64), [baz]: 'c'.repeat(64) };

/** ko's fixed builder + publisher: only foo, bar and baz are supported. */
function fixed(base: string): { build: BuildReference; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    build: async (reference) => {
      calls.push(reference);
      const path = reference.slice('ko://'.length);
      if (!hashes[path]) throw new Error('importpath is not supported');
      return `${base}/${path}@sha256:${hashes[path]}`;
    },
  };
}
const digestOf = (base: string, path: string) => `${base}/${path}@sha256:${hashes[path]}`;
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown);
const resolveOne = async (value: unknown, base: string) =>
  docs(await resolveManifests(stringify(value), { build: fixed(base).build }))[0];

describe('pkg/resolve/resolve_test.go', () => {
  describe('TestYAMLArrays', () => {
    const cases: [string, string[], string][] = [
      ['singleton array', [foo], 'gcr.io/mattmoor'],
      ['singleton array (different base)', [foo], 'gcr.io/jasonhall'],
      ['two element array', [foo, bar], 'gcr.io/jonjohnson'],
      ['empty array', [], 'gcr.io/blah'],
    ];
    for (const [name, refs, base] of cases) {
      it(name, async () => {
        const out = await resolveOne(
          refs.map((r) => `ko://${r}`),
          base,
        );
        assert.deepEqual(
          out,
          refs.map((r) => digestOf(base, r)),
        );
      });
    }
  });

  describe('TestYAMLMaps', () => {
    const base = 'gcr.io/mattmoor';
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ['simple value', { image: `ko://${foo}` }, { image: digestOf(base, foo) }],
      ['simple key', { [`ko://${baz}`]: 'blah' }, { [digestOf(base, baz)]: 'blah' }],
      ['key and value', { [`ko://${foo}`]: `ko://${bar}` }, { [digestOf(base, foo)]: digestOf(base, bar) }],
      ['empty map', {}, {}],
      [
        'multiple values',
        { arg1: `ko://${foo}`, arg2: `ko://${bar}` },
        { arg1: digestOf(base, foo), arg2: digestOf(base, bar) },
      ],
    ];
    for (const [name, input, expected] of cases) {
      it(name, async () => {
        assert.deepEqual(await resolveOne(input, base), expected);
        // The same through object input (what a CDK8s chart hands over).
        assert.deepEqual((await resolveManifests([input], { build: fixed(base).build }))[0], expected);
      });
    }
  });

  describe('TestYAMLObject', () => {
    const base = 'gcr.io/bazinga';
    const ref = `ko://${foo}`;
    const want = digestOf(base, foo);
    const cases: [string, unknown, unknown][] = [
      ['empty object', { S: '' }, { S: '' }],
      ['string field', { S: ref }, { S: want }],
      ['map field', { M: { blah: { S: ref } } }, { M: { blah: { S: want } } }],
      ['array field', { A: [{ S: ref }] }, { A: [{ S: want }] }],
      ['deep field', { M: { blah: { A: [{ P: { S: ref } }] } } }, { M: { blah: { A: [{ P: { S: want } }] } } }],
    ];
    // Not applicable: "pointer field" (a Go pointer marshals to the same YAML as a nested map,
    // which "deep field" covers).
    for (const [name, input, expected] of cases) {
      it(name, async () => assert.deepEqual(await resolveOne(input, base), expected));
    }
  });

  it('TestStrict: every ko:// string in a multi-document stream is resolved', async () => {
    const base = 'gcr.io/multi-pass';
    const out = await resolveManifests(`ko://${foo}\n---\nko://${bar}\n`, { build: fixed(base).build });
    assert.deepEqual(docs(out), [digestOf(base, foo), digestOf(base, bar)]);
  });

  it('TestIsSupportedReferenceError: a reference the builder does not support fails the resolution', async () => {
    const noMatch: BuildReference = async () => {
      throw new Error('importpath is not supported');
    };
    await assert.rejects(
      resolveManifests(`ko://${foo}\n`, { build: noMatch }),
      (err: unknown) => isTskoError(err) && err.message.includes(`ko://${foo}`) && /not supported/.test(err.message),
    );
  });

  // refsFromDoc: ko takes string scalars that start with ko:// and trims white space after it.
  it('a value with a leading space is not a reference (ko leaves " ko://x" alone)', async () => {
    const { build, calls } = fixed('gcr.io/x');
    const out = await resolveManifests(`a: " ko://${foo}"\nb: "ko://${bar}  "\n`, { build });
    assert.deepEqual(calls, [`ko://${bar}`]);
    assert.deepEqual(docs(out)[0], { a: ` ko://${foo}`, b: digestOf('gcr.io/x', bar) });
  });

  it('a bare ko:// is an error naming where it is, before anything is built', async () => {
    const { build, calls } = fixed('gcr.io/x');
    await assert.rejects(resolveManifests(`a: ko://${foo}\nb: ko://\n`, { build }), (err: unknown) => {
      assert.ok(isTskoError(err, 'TSKO_INVALID_REFERENCE'), String(err));
      assert.match(err.message, /"ko:\/\/" without an import path \(at <input>:2\) is not a valid import path/);
      return true;
    });
    assert.deepEqual(calls, []);
    await assert.rejects(
      resolveManifests([{ image: 'ko://' }], { build }),
      (err: unknown) => isTskoError(err, 'TSKO_INVALID_REFERENCE') && /input\[0\]\.image/.test(err.message),
    );
  });
});

const webPod =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    # comments should be preserved\n    app: web\n  name: rss-site\n';
const dbPod =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    # comments should be preserved\n    app: db\n  name: rss-db\n';
const podNoLabel = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: rss-site\n';
const listOf = (items: string) =>
  `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\n  selfLink: ""\nitems:\n${items}`;
const webItem = '- apiVersion: v1\n  kind: Pod\n  metadata:\n    labels:\n      app: web\n    name: rss-site\n';
const dbItem = '- apiVersion: v1\n  kind: Pod\n  metadata:\n    labels:\n      app: db\n    name: rss-db\n';
const podList = listOf(webItem + dbItem);
const podListNoLabel = listOf(
  '- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: rss-site\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: rss-db\n',
);

describe('pkg/resolve/selector_test.go', () => {
  const build = fixed('gcr.io/x').build;
  describe('TestMatchesSelector', () => {
    // [name, input, selector, output or undefined when the document is dropped]
    const cases: [string, string, string, string | undefined][] = [
      ['single object with matching selector', webPod, 'app=web', webPod],
      ['single object with non-matching selector', webPod, 'app!=web', undefined],
      ['single object with noop selector', dbPod, 'foo!=bark', dbPod],
      ['single object with has selector', webPod, 'app', webPod],
      ['single object with not-has selector', webPod, '!app', undefined],
      ['single non-labeled object with has selector', podNoLabel, 'app', undefined],
      ['single non-labeled object with not-has selector', podNoLabel, '!app', podNoLabel],
      ['selector matching elements of list object', podList, 'app=web', listOf(webItem)],
      ['selector matching other elements of list object', podList, 'app!=web', listOf(dbItem)],
      ['has selector matching no non-labeled element of list object', podListNoLabel, 'app', undefined],
      ['not-has selector matching all non-labeled elements of list object', podListNoLabel, '!app', podListNoLabel],
      ['selector matching all elements of list object', podList, '', podList],
    ];
    // Not applicable: "selector matching no element of list object" uses labels.Nothing(), a
    // Go value with no text form; a selector string always matches something or nothing by its
    // requirements ("has selector matching no ..." above drops the List the same way).
    for (const [name, input, selector, output] of cases) {
      it(name, async () => {
        const out = await resolveManifests(input, { build, selector });
        if (output === undefined) assert.equal(out, '', 'the document is dropped');
        else {
          assert.deepEqual(docs(out), docs(output));
          if (output.includes('# comments')) assert.match(out, /# comments should be preserved/);
        }
        // Objects in, objects out: the same selection.
        const objects = await resolveManifests(docs(input), { build, selector });
        assert.deepEqual(objects, output === undefined ? [] : docs(output));
      });
    }
  });

  describe('TestSelectorFailure', () => {
    const cases: [string, string][] = [
      ['not an object', 'image: some.go/package\n'],
      ['not an object in a list', listOf('- blah: ha\n')],
      ['not a valid list', 'apiVersion: v1\nkind: List\n'],
    ];
    for (const [name, input] of cases) {
      it(name, async () => {
        await assert.rejects(resolveManifests(input, { build, selector: '' }), (err: unknown) =>
          isTskoError(err, 'TSKO_YAML_INVALID'),
        );
        await assert.rejects(resolveManifests(docs(input), { build, selector: '' }), (err: unknown) =>
          isTskoError(err, 'TSKO_YAML_INVALID'),
        );
      });
    }
  });

  it('kind: List is the only list kind (a PodList is matched as one object)', async () => {
    const podListKind =
      'apiVersion: v1\nkind: PodList\nmetadata: {labels: {app: web}}\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: x, labels: {app: db}}}\n';
    assert.deepEqual(docs(await resolveManifests(podListKind, { build, selector: 'app=web' })), docs(podListKind));
    assert.equal(await resolveManifests(podListKind, { build, selector: 'app=db' }), '');
  });

  describe('TestLabelsNode (label lookup, through selectors)', () => {
    const cases: [string, Record<string, string>, string, string | undefined][] = [
      ['label exists', { app: 'web', version: 'v1' }, 'app', 'web'],
      ['label does not exist', { app: 'web', version: 'v1' }, 'tier', undefined],
      ['empty labels', {}, 'app', undefined],
      ['label with empty value', { app: '', version: 'v1' }, 'app', ''],
      [
        'multiple labels with special characters',
        { 'app.io/name': 'web', version: 'v1', owner: 'team-a' },
        'app.io/name',
        'web',
      ],
      ['label with numeric value', { replicas: '3', port: '8080' }, 'replicas', '3'],
      ['case sensitive label lookup', { App: 'web', app: 'database' }, 'app', 'database'],
    ];
    for (const [name, labels, key, value] of cases) {
      it(name, () => {
        assert.equal(parseSelector(key).matches(labels), value !== undefined, 'has');
        if (value !== undefined) assert.equal(parseSelector(`${key}=${value}`).matches(labels), true, 'get');
      });
    }
  });
});

describe('pkg/commands/resolver_test.go (resolveFile)', () => {
  it('TestResolveMultiDocumentYAMLs', async () => {
    const base = 'gcr.io/multi-pass';
    const out = await resolveManifests(`ko://${foo}\n---\nko://${bar}\n`, { build: fixed(base).build });
    assert.deepEqual(docs(out), [digestOf(base, foo), digestOf(base, bar)]);
  });
  it('TestResolveMultiDocumentYAMLsWithSelector: only the matching document is written; a trailing empty document goes', async () => {
    const passes = 'apiVersion: something/v1\nkind: Foo\nmetadata:\n  labels:\n    qux: baz\n';
    const fails = 'apiVersion: other/v2\nkind: Bar\n';
    const out = await resolveManifests(`${passes}---\n${fails}---`, {
      build: fixed('gcr.io/x').build,
      selector: 'qux=baz',
    });
    assert.equal(out, passes);
  });
  // Not applicable: TestNewBuilder and TestNewPublisherCanPublish construct ko's Go builder and
  // publisher objects (cobra options, a DockerClient value, LocalDomain); their naming cases are
  // in packages/core/test/ko-parity/naming.unit.test.ts.
});
