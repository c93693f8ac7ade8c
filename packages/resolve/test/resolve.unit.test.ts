import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { findReferences, isTskoError, parseSelector, resolveManifests, type BuildReference } from '@tsko/resolve';

/** A build function that records calls and returns a fake digest-pinned reference. */
function countingBuild(): { build: BuildReference; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    build: async (reference) => {
      calls.push(reference);
      return `registry.example.com/${reference.slice('ko://'.length).split('/').pop()}@sha256:${'a'.repeat(64)}`;
    },
  };
}
const pinned = (name: string) => `registry.example.com/${name}@sha256:${'a'.repeat(64)}`;
const parseAll = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

const MULTI = `# leading comment stays
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # trailing comment stays
  labels: {app: web, tier: front}
spec:
  template:
    spec:
      containers:
      - name: web
        image: ko://example.com/app/cmd/web
      - name: sidecar
        image: "ko://example.com/app/cmd/sidecar"
      - name: quoted
        image: 'ko://example.com/app/cmd/web  '
      - name: plain
        image: nginx:1.27
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: anchors
  labels: {app: web, tier: db}
data:
  first: &img ko://example.com/app/cmd/web
  again: *img
  block: |
    ko://example.com/app/cmd/worker
  ko://example.com/app/cmd/keyed: as-a-key
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a, labels: {app: web, env: prod}}
  spec: {containers: [{name: a, image: ko://example.com/app/cmd/web}]}
- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: nested, labels: {app: other}}
    spec: {containers: [{name: n, image: ko://example.com/app/cmd/nested}]}
`;

describe('resolveManifests on YAML text', () => {
  it('replaces every ko:// value and key, builds each reference once, and keeps comments, quotes, anchors and order', async () => {
    const { build, calls } = countingBuild();
    const out = await resolveManifests(MULTI, { build });
    assert.deepEqual([...calls].sort(), [
      'ko://example.com/app/cmd/keyed',
      'ko://example.com/app/cmd/nested',
      'ko://example.com/app/cmd/sidecar',
      'ko://example.com/app/cmd/web',
      'ko://example.com/app/cmd/worker',
    ]);
    assert.match(out, /^# leading comment stays\n/);
    assert.match(out, /name: web # trailing comment stays/);
    assert.match(
      out,
      new RegExp(`image: "${pinned('sidecar').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
      'double quotes kept',
    );
    assert.match(out, /first: &img registry/);
    assert.match(out, /again: \*img/);
    assert.doesNotMatch(out, /ko:\/\//);
    const docs = parseAll(out);
    assert.equal(docs.length, 3, 'the empty document is dropped');
    const containers = (docs[0] as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template
      .spec.containers;
    assert.deepEqual(
      containers.map((c) => c.image),
      [pinned('web'), pinned('sidecar'), pinned('web'), 'nginx:1.27'],
    );
    const cm = docs[1] as { data: Record<string, string> };
    assert.deepEqual(cm.data, {
      first: pinned('web'),
      again: pinned('web'),
      block: pinned('worker'),
      [pinned('keyed')]: 'as-a-key',
    });
    const list = docs[2] as {
      items: { spec?: { containers: { image: string }[] }; items?: { spec: { containers: { image: string }[] } }[] }[];
    };
    assert.equal(list.items[1]!.items![0]!.spec.containers[0]!.image, pinned('nested'));
  });

  it('builds a reference used in five documents exactly once', async () => {
    const { build, calls } = countingBuild();
    const five = Array.from(
      { length: 5 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec: {containers: [{name: c, image: ko://example.com/app/cmd/web}]}\n`,
    ).join('---\n');
    const out = await resolveManifests(five, { build });
    assert.deepEqual(calls, ['ko://example.com/app/cmd/web']);
    assert.equal(parseAll(out).length, 5);
  });

  it('leaves text without references untouched in meaning and calls no build', async () => {
    const { build, calls } = countingBuild();
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "ko:/not-a-ref", b: " ko://example.com/leading-space"}\n';
    const out = await resolveManifests(text, { build });
    assert.deepEqual(calls, []);
    assert.deepEqual(parseAll(out), parseAll(text));
  });

  it('reports YAML syntax errors with TSKO_YAML_INVALID and the line', async () => {
    await assert.rejects(
      resolveManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n', { build: countingBuild().build }),
      (err: unknown) => isTskoError(err, 'TSKO_YAML_INVALID') && /^<input>:\d+:\d+: /.test(err.message),
    );
  });

  it('names the reference and every place that used it when a build fails', async () => {
    const build: BuildReference = async (reference) => {
      if (reference.endsWith('/lib'))
        throw Object.assign(new Error('example.com/app/lib is package lib, not package main'), {});
      return pinned('ok');
    };
    const text =
      'a: ko://example.com/app/lib\n---\nb: ko://example.com/app/cmd/ok\n---\nc:\n  d: ko://example.com/app/lib\n';
    await assert.rejects(resolveManifests(text, { build }), (err: unknown) => {
      assert.ok(isTskoError(err, 'TSKO_RESOLVE_FAILED'), String(err));
      assert.match(err.message, /^1 of 2 ko:\/\/ references could not be built:/);
      assert.match(err.message, /ko:\/\/example\.com\/app\/lib \(used at <input>:1, <input>:6\)/);
      assert.match(err.message, /not package main/);
      assert.deepEqual(err.details?.failures?.[0]?.locations, ['<input>:1', '<input>:6']);
      assert.deepEqual(err.errors?.[0]?.details?.locations, ['<input>:1', '<input>:6']);
      assert.equal(err.errors?.[0]?.code, 'TSKO_BUILD_FAILED');
      return true;
    });
  });
});

describe('selectors', () => {
  const cases: [string, string[]][] = [
    ['app=web', ['web', 'anchors', 'List']],
    ['app==web,tier=front', ['web']], // the List has no matching item left, so it is dropped (as ko)
    ['tier!=db', ['web', 'List']],
    ['tier in (db, cache)', ['anchors']],
    ['tier notin (db)', ['web', 'List']],
    ['tier', ['web', 'anchors']],
    ['!tier', ['List']],
  ];
  for (const [selector, names] of cases) {
    it(`keeps what matches ${selector} (Lists keep matching items in place, or go)`, async () => {
      const out = await resolveManifests(MULTI, { build: countingBuild().build, selector });
      const docs = parseAll(out) as { kind: string; metadata?: { name: string }; items?: unknown[] }[];
      assert.deepEqual(
        docs.map((d) => d.metadata?.name ?? d.kind),
        names,
      );
    });
  }

  it('filters List items by their own labels', async () => {
    const { build, calls } = countingBuild();
    const out = await resolveManifests(MULTI, { build, selector: 'env=prod' });
    const docs = parseAll(out) as { kind: string; items: { metadata: { name: string } }[] }[];
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['List'],
    );
    assert.deepEqual(
      docs[0]!.items.map((i) => i.metadata.name),
      ['a'],
    );
    assert.deepEqual(calls, ['ko://example.com/app/cmd/web'], 'filtered-out documents are not built');
  });

  it('with a selector, a document without apiVersion/kind is an error', async () => {
    await assert.rejects(
      resolveManifests('foo: bar\n', { build: countingBuild().build, selector: 'a=b' }),
      (err: unknown) => isTskoError(err, 'TSKO_YAML_INVALID') && /apiVersion and kind/.test(err.message),
    );
  });

  it('parses and rejects selectors like Kubernetes', () => {
    assert.equal(parseSelector('').matches({}), true);
    assert.equal(parseSelector('a in (x,y),b notin (z),!c,d').matches({ a: 'y', b: 'q', d: '' }), true);
    assert.equal(parseSelector('a!=x').matches({}), true, '!= matches a missing label');
    assert.equal(parseSelector('a in (x)').matches({}), false);
    assert.equal(parseSelector('example.com/team=web').matches({ 'example.com/team': 'web' }), true);
    for (const bad of ['a=(b', 'a in (x', 'a,,b', '=x', 'a in ()', 'A B', 'a=b c', 'a=-x-']) {
      assert.throws(
        () => parseSelector(bad),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_SELECTOR'),
        bad,
      );
    }
  });
});

describe('files, folders and object trees', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsko-resolve-'));
    await mkdir(join(dir, 'config', 'nested'), { recursive: true });
    await writeFile(
      join(dir, 'config', 'b.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: ko://example.com/app/cmd/b}]}\n',
    );
    await writeFile(
      join(dir, 'config', 'a.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'a' },
        spec: { containers: [{ name: 'c', image: 'ko://example.com/app/cmd/a' }] },
      }),
    );
    await writeFile(join(dir, 'config', 'notes.txt'), 'image: ko://example.com/ignored');
    await writeFile(join(dir, 'config', 'nested', 'c.yml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads folders in name order (only .yaml/.yml/.json), files in input order, recursing on request', async () => {
    const flat = await resolveManifests({ files: [join(dir, 'config')] }, { build: countingBuild().build });
    assert.deepEqual(
      parseAll(flat).map((d) => (d as { metadata: { name: string } }).metadata.name),
      ['a', 'b'],
    );
    const deep = await resolveManifests(
      { files: [join(dir, 'config', 'b.yaml'), join(dir, 'config')] },
      { build: countingBuild().build, recursive: true },
    );
    assert.deepEqual(
      parseAll(deep).map((d) => (d as { metadata: { name: string } }).metadata.name),
      ['b', 'a', 'c'],
    );
    assert.equal(
      (parseAll(deep)[1] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image,
      pinned('a'),
    );
  });

  it('names files in errors', async () => {
    await writeFile(join(dir, 'broken.yaml'), 'a: b\n  c: d\n');
    await assert.rejects(
      resolveManifests({ files: [join(dir, 'broken.yaml')] }, { build: countingBuild().build }),
      (err: unknown) =>
        isTskoError(err, 'TSKO_YAML_INVALID') &&
        new RegExp(`^${join(dir, 'broken.yaml')}:\\d+:\\d+: `).test(err.message),
    );
    await assert.rejects(
      resolveManifests({ files: [join(dir, 'missing')] }, { build: countingBuild().build }),
      (err: unknown) => isTskoError(err, 'TSKO_NOT_FOUND'),
    );
  });

  it('returns new objects for object input and leaves the input untouched', async () => {
    const input = [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'ko://example.com/app/cmd/web' }] },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { 'ko://example.com/app/cmd/key': 'v' } },
    ];
    const frozen = JSON.stringify(input);
    const { build, calls } = countingBuild();
    const out = await resolveManifests(input, { build });
    assert.equal(JSON.stringify(input), frozen);
    assert.equal((out[0] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image, pinned('web'));
    assert.deepEqual(Object.keys((out[1] as { data: object }).data), [pinned('key')]);
    assert.equal(calls.length, 2);
    assert.deepEqual(await findReferences(input, { selector: 'app=web' }), ['ko://example.com/app/cmd/web']);
  });
});
