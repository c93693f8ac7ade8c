import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  apply,
  deleteManifests,
  findReferences,
  koResolver,
  parseSelector,
  resolveManifests,
  resolveReferences,
  type BuildReference,
} from '@tsko/resolve';
import { runOk } from '@tsko/test-rig';
import { badInputRows } from './table.js';

const bad = <T>(value: unknown) => value as T;
const DIGEST = `sha256:${'a'.repeat(64)}`;
/** A build that needs no registry or Go: every reference becomes one pinned image. */
const fakeBuild: BuildReference = async () => `registry.example.com/app@${DIGEST}`;
const returning =
  (value: unknown): BuildReference =>
  async () =>
    value as string;
const DEPLOYMENT =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  template:\n    spec:\n      containers:\n        - image: ko://example.com/app/cmd/web\n';

describe('bad input to @tsko/resolve gets a typed error that names it', () => {
  let work: string;
  const p = (...parts: string[]) => join(work, ...parts);
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-bad-resolve-'));
    await mkdir(p('config'));
    await writeFile(p('config', 'web.yaml'), DEPLOYMENT);
    // A FIFO with a manifest's name: reading it would block forever.
    await runOk('mkfifo', [p('config', 'pipe.yaml')]);
    await runOk('mkfifo', [p('lone-pipe.yaml')]);
    await writeFile(p('broken.yaml'), 'kind: [\n');
  });
  after(() => rm(work, { recursive: true, force: true }));

  const cyclic = () => {
    const o: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', data: { image: 'ko://example.com/app' } };
    (o.data as Record<string, unknown>).self = o;
    return [o];
  };
  const deep = () => {
    let node: Record<string, unknown> = { image: 'ko://example.com/app' };
    for (let i = 0; i < 20_000; i++) node = { child: node };
    return [node];
  };
  const laughs = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n${'bcdefgh'
    .split('')
    .map((c, i) => `  ${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)
    .join('\n')}\n`;

  badInputRows([
    {
      name: 'YAML text with a syntax error',
      run: () => resolveManifests('kind: [\n', { build: fakeBuild }),
      code: 'TSKO_YAML_INVALID',
      names: '<input>:',
    },
    {
      name: 'a bare ko:// (ko: not a valid import path)',
      run: () => resolveManifests('a: b\nimage: ko://\n', { build: fakeBuild }),
      code: 'TSKO_INVALID_REFERENCE',
      names: ['"ko://"', '<input>:2'],
    },
    {
      name: 'a List item without apiVersion/kind under a selector',
      run: () =>
        resolveManifests('apiVersion: v1\nkind: List\nitems:\n- blah: ha\n', { build: fakeBuild, selector: 'a=b' }),
      code: 'TSKO_YAML_INVALID',
      names: ['<input>:4', 'apiVersion and kind'],
    },
    {
      name: 'a kind: List without items under a selector',
      run: () => resolveManifests('apiVersion: v1\nkind: List\n', { build: fakeBuild, selector: 'a=b' }),
      code: 'TSKO_YAML_INVALID',
      names: 'items',
    },
    {
      name: 'a manifest file with a syntax error',
      run: () => resolveManifests({ files: [p('broken.yaml')] }, { build: fakeBuild }),
      code: 'TSKO_YAML_INVALID',
      names: 'broken.yaml:',
    },
    {
      name: 'a manifest path that does not exist',
      run: () => resolveManifests({ files: [p('absent.yaml')] }, { build: fakeBuild }),
      code: 'TSKO_NOT_FOUND',
      names: 'absent.yaml',
    },
    {
      name: 'a FIFO named as a manifest file',
      run: () => resolveManifests({ files: [p('lone-pipe.yaml')] }, { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: ['lone-pipe.yaml', 'FIFO'],
      timeoutMs: 5_000,
    },
    {
      name: 'files holding a number',
      run: () => resolveManifests({ files: [bad<string>(42)] }, { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'files[0]',
    },
    {
      name: 'an input that is a number',
      run: () => resolveManifests(bad<string>(42), { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'resolveManifests takes',
    },
    {
      name: 'a cyclic object',
      run: () => resolveManifests(cyclic(), { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: ['input[0].data.self', 'cycle'],
    },
    {
      name: 'an object nested 20000 levels deep',
      run: () => resolveManifests(deep(), { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: ['input[0].child', 'nested'],
    },
    {
      name: 'an object holding a function',
      run: () => resolveManifests([{ kind: 'X', f: () => 1 }], { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'not data',
    },
    {
      name: 'build() returning a number',
      run: () => resolveManifests(DEPLOYMENT, { build: returning(42) }),
      code: 'TSKO_RESOLVE_FAILED',
      names: ['ko://example.com/app/cmd/web', 'number 42', '<input>:10'],
    },
    {
      name: 'build() returning an empty string',
      run: () => resolveManifests(DEPLOYMENT, { build: returning('') }),
      code: 'TSKO_RESOLVE_FAILED',
      names: ['ko://example.com/app/cmd/web', '""'],
    },
    {
      name: 'build() returning text that is no reference',
      run: () => resolveManifests(DEPLOYMENT, { build: returning('an image\nwith: yaml') }),
      code: 'TSKO_RESOLVE_FAILED',
      names: ['ko://example.com/app/cmd/web', 'an image'],
    },
    {
      name: 'build() returning an object',
      run: () => resolveManifests(DEPLOYMENT, { build: returning({ ref: 'x' }) }),
      code: 'TSKO_RESOLVE_FAILED',
      names: 'object',
    },
    {
      name: 'build() throwing a plain Error',
      run: () =>
        resolveManifests(DEPLOYMENT, {
          build: async () => {
            throw new Error('compiler exploded');
          },
        }),
      code: 'TSKO_RESOLVE_FAILED',
      names: ['ko://example.com/app/cmd/web', '<input>:10', 'compiler exploded'],
    },
    {
      name: 'build() throwing a string',
      run: () =>
        resolveManifests(DEPLOYMENT, {
          build: async () => {
            throw 'just text';
          },
        }),
      code: 'TSKO_RESOLVE_FAILED',
      names: ['ko://example.com/app/cmd/web', 'just text'],
    },
    {
      name: 'build that is not a function',
      run: () => resolveManifests(DEPLOYMENT, { build: bad<BuildReference>('publish') }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'options.build',
    },
    {
      name: 'concurrency: NaN with a custom build',
      run: () => resolveManifests(DEPLOYMENT, { build: fakeBuild, concurrency: NaN }),
      code: 'TSKO_CONFIG_INVALID',
      names: ['options.concurrency', 'NaN'],
    },
    {
      name: 'concurrency: -2 with a custom build',
      run: () => resolveManifests(DEPLOYMENT, { build: fakeBuild, concurrency: -2 }),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.concurrency',
    },
    {
      name: 'a selector that does not parse',
      run: () => resolveManifests(DEPLOYMENT, { build: fakeBuild, selector: 'app in (web' }),
      code: 'TSKO_INVALID_SELECTOR',
      names: 'app in (web',
    },
    {
      name: 'a selector that is not a string',
      run: () => resolveManifests(DEPLOYMENT, { build: fakeBuild, selector: bad<string>(7) }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'options.selector',
    },
    {
      name: 'a selector over a document without kind',
      run: () => resolveManifests('image: ko://example.com/app\n', { build: fakeBuild, selector: 'app=web' }),
      code: 'TSKO_YAML_INVALID',
      names: ['<input>:1', 'app=web'],
    },
    {
      name: 'a billion-laughs document under a selector',
      run: () => resolveManifests(laughs, { build: fakeBuild, selector: 'app=web' }),
      code: 'TSKO_YAML_INVALID',
      names: ['<input>:', /alias/i],
    },
    {
      name: 'parseSelector of a bad key',
      run: () => parseSelector('-bad-=x'),
      code: 'TSKO_INVALID_SELECTOR',
      names: '-bad-',
    },
    {
      name: 'resolveReferences of a string without ko://',
      run: () => resolveReferences(['example.com/app'], { build: fakeBuild }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'example.com/app',
    },
    {
      name: 'koResolver of a reference not resolved before',
      run: () => koResolver(new Map()).resolve({ value: 'ko://example.com/late', replaceValue: () => undefined }),
      code: 'TSKO_UNRESOLVED_REFERENCE',
      names: 'ko://example.com/late',
    },
    {
      name: 'findReferences of a cyclic object',
      run: () => findReferences(cyclic()),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'input[0].data.self',
    },
    {
      name: 'no repository and no build function',
      run: () => resolveManifests(DEPLOYMENT, { environment: { PATH: process.env.PATH ?? '' } }),
      code: 'TSKO_NO_REPO',
      names: 'KO_DOCKER_REPO',
    },
    {
      name: 'apply with a kubectl that does not exist',
      run: () => apply(DEPLOYMENT, { build: fakeBuild, kubectl: '/nonexistent/kubectl' }),
      code: 'TSKO_KUBECTL_NOT_FOUND',
      names: '/nonexistent/kubectl',
    },
    {
      name: 'apply with a kubectl that fails',
      run: () => apply(DEPLOYMENT, { build: fakeBuild, kubectl: 'false' }),
      code: 'TSKO_KUBECTL_FAILED',
      names: 'kubectl apply exited 1',
    },
    {
      name: 'delete of a number',
      run: () => deleteManifests(bad<string>(42), { kubectl: 'true' }),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'delete takes',
    },
    {
      name: 'a folder read with a signal that has fired',
      run: () => resolveManifests({ files: [p('config')] }, { build: fakeBuild, signal: AbortSignal.abort() }),
      code: 'TSKO_ABORTED',
      names: 'aborted',
    },
  ]);

  it('a FIFO named *.yaml inside a manifests folder is skipped, not read (no hang)', async () => {
    const started = Date.now();
    const out = await resolveManifests({ files: [p('config')] }, { build: fakeBuild });
    assert.ok(Date.now() - started < 5_000);
    assert.match(out, new RegExp(`image: registry\\.example\\.com/app@${DIGEST}`));
  });
});
