import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from '@tsko/core';
import { InputHasher, portableInputs, resolutionPaths } from '../src/build-cache/portable-inputs.js';
import {
  buildTag,
  contentTag,
  insideProject,
  portableEnv,
  resolutionTag,
  type GoFacts,
} from '../src/build-cache/portable-key.js';
import { decodeRecord } from '../src/build-cache/share-record.js';

const facts = (over: Partial<GoFacts> = {}): GoFacts =>
  ({
    GOVERSION: 'go1.26.8',
    GOWORK: '',
    GOENV: '/home/a/.config/go/env',
    GOFLAGS: '-buildvcs=false',
    GOOS: 'linux',
    GOARCH: 'amd64',
    GOAMD64: 'v1',
    CGO_ENABLED: '0',
    ...over,
  }) as GoFacts;

const parts = {
  importPath: 'example.com/app/cmd/server',
  platform: { os: 'linux', architecture: 'amd64' },
  dir: '.',
  env: ['GOOS=linux'],
  goVersion: 'go1.26.8',
  flags: [] as string[],
  ldflags: [] as string[],
  appName: 'server',
  capabilities: '',
};

describe('the portable key of a shared build', () => {
  it('leaves out what names the machine: HOME, caches, GOPATH, GOROOT, GOTOOLCHAIN, the C toolchain', () => {
    const a = portableEnv(
      {
        HOME: '/home/a',
        GOPATH: '/home/a/go',
        GOMODCACHE: '/m',
        GOROOT: '/usr/local/go',
        CC: 'gcc',
        GOTOOLCHAIN: 'auto',
      },
      facts(),
      '/src/a',
    );
    const b = portableEnv({ HOME: '/root', GOCACHE: '/tmp/c', GOTOOLCHAIN: 'local' }, facts(), '/ci/checkout');
    assert.deepEqual(a, b);
    assert.ok(Array.isArray(a) && a.includes('GOVERSION=go1.26.8'));
  });

  it('keys the effective Go settings, wherever they come from', () => {
    const plain = portableEnv({}, facts(), '/p');
    assert.notDeepEqual(portableEnv({}, facts({ GOAMD64: 'v2' }), '/p'), plain);
    assert.notDeepEqual(portableEnv({}, facts({ GOEXPERIMENT: 'arenas' }), '/p'), plain);
    assert.notDeepEqual(portableEnv({}, facts({ GOFLAGS: '-buildvcs=false -tags=x' }), '/p'), plain);
    assert.notDeepEqual(portableEnv({}, facts({ GOVERSION: 'go1.26.9' }), '/p'), plain);
    // `go env` reports what the build will use: the environment's value is already in it.
    assert.deepEqual(portableEnv({ GOAMD64: 'v1' }, facts(), '/p'), plain);
  });

  it('ignores GOFLAGS that change how Go works but not what it writes', () => {
    const plain = portableEnv({}, facts(), '/p');
    assert.deepEqual(portableEnv({}, facts({ GOFLAGS: '-modcacherw -buildvcs=false -p=2 -x' }), '/p'), plain);
  });

  it('keys a workspace file inside the project by its relative path, and refuses one outside', () => {
    const a = portableEnv({}, facts({ GOWORK: '/src/a/go.work' }), '/src/a');
    assert.deepEqual(a, portableEnv({}, facts({ GOWORK: '/ci/x/go.work' }), '/ci/x'));
    assert.ok(Array.isArray(a) && a.includes('GOWORK=go.work'));
    assert.match(String(portableEnv({}, facts({ GOWORK: '/elsewhere/go.work' }), '/src/a')), /outside the project/);
    assert.ok(Array.isArray(portableEnv({}, facts({ GOWORK: 'off' }), '/src/a')));
  });

  it('changes the build tag with each part, and the resolution tag with its own', () => {
    const tag = buildTag(parts);
    assert.match(tag, /^build-[0-9a-f]{64}$/);
    const changed = [
      { importPath: 'example.com/app/cmd/other' },
      { platform: { os: 'linux', architecture: 'arm64' } },
      { platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
      { dir: 'sub' },
      { env: ['GOOS=linux', 'GOEXPERIMENT=x'] },
      { goVersion: 'go1.27.0' },
      { flags: ['-tags=x'] },
      { ldflags: ['-X main.version=2'] },
      { appName: 'srv' },
      { capabilities: '0100' },
    ];
    for (const c of changed) assert.notEqual(buildTag({ ...parts, ...c }), tag, JSON.stringify(c));
    const r = { ref: './cmd/server', dir: '.', env: ['GOOS=linux'], goVersion: 'go1.26.8' };
    assert.match(resolutionTag(r), /^resolve-[0-9a-f]{64}$/);
    assert.notEqual(resolutionTag({ ...r, ref: './cmd/other' }), resolutionTag(r));
    assert.notEqual(resolutionTag({ ...r, dir: 'sub' }), resolutionTag(r));
  });

  it('gives a content tag per key and inputs, whatever the order they were listed in', () => {
    const t = buildTag(parts);
    assert.equal(contentTag(t, { a: '1', b: '2' }), contentTag(t, { b: '2', a: '1' }));
    assert.notEqual(contentTag(t, { a: '1', b: '2' }), contentTag(t, { a: '1', b: '3' }));
    assert.notEqual(contentTag(t, { a: '1' }), contentTag(buildTag({ ...parts, appName: 'x' }), { a: '1' }));
  });

  it('tells paths inside the project from paths outside it', () => {
    assert.equal(insideProject('/p', '/p'), '.');
    assert.equal(insideProject('/p', '/p/cmd/x.go'), 'cmd/x.go');
    assert.equal(insideProject('/p', '/p2/x.go'), undefined);
    assert.equal(insideProject('/p', '/x.go'), undefined);
    assert.equal(insideProject('/p', '/p/..x/y'), '..x/y');
  });
});

describe('the inputs a shared record holds', () => {
  let root: string;
  const project = () => join(root, 'project');
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsko-inputs-'));
    await mkdir(join(root, 'project', 'cmd', 'server'), { recursive: true });
    await mkdir(join(root, 'sibling'), { recursive: true });
    await writeFile(join(root, 'project', 'go.mod'), 'module example.com/app\n');
    await writeFile(join(root, 'project', 'cmd', 'server', 'main.go'), 'package main\n');
    await writeFile(join(root, 'sibling', 'lib.go'), 'package lib\n');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('records project files by content, folders by entry names, absent files as absent', async () => {
    const p = project();
    const paths = [
      join(p, 'go.mod'),
      join(p, 'cmd', 'server'),
      join(p, 'cmd', 'server', 'main.go'),
      join(p, 'go.work'),
    ];
    const got = await portableInputs(paths, p, '/nowhere/env', new InputHasher());
    assert.ok('inputs' in got);
    assert.match(got.inputs['go.mod']!, /^sha256:[0-9a-f]{64}$/);
    assert.match(got.inputs['cmd/server']!, /^dir:[0-9a-f]{64}$/);
    assert.equal(got.inputs['go.work'], 'absent');
  });

  it('drops absent files above the project, turns VCS markers above it into a rule, keeps out existing outside files', async () => {
    const p = project();
    const above = await portableInputs(
      [join(root, 'go.work'), join(root, '.git'), join(p, '.git')],
      p,
      '/x',
      new InputHasher(),
    );
    assert.deepEqual(above, { inputs: { '.git': 'absent' }, absentAbove: ['.git'] });
    const sibling = await portableInputs([join(root, 'sibling', 'lib.go')], p, '/x', new InputHasher());
    assert.ok('unshareable' in sibling && sibling.unshareable.includes('outside the project folder'));
    const envFile = join(root, 'sibling', 'lib.go');
    assert.ok(
      'inputs' in (await portableInputs([envFile], p, envFile, new InputHasher())),
      'the go env file is left out',
    );
  });

  it('names what go list reads to resolve a package', () => {
    const inputs = {
      '.': 'dir:1',
      go: 'absent',
      'go.mod': 'sha256:1',
      cmd: 'dir:2',
      'cmd/server': 'dir:3',
      'cmd/server/main.go': 'sha256:2',
      'cmd/server/static/msg.txt': 'sha256:3',
      'lib/lib.go': 'sha256:4',
      'vendor/modules.txt': 'absent',
    };
    assert.deepEqual(resolutionPaths(inputs, 'cmd/server').sort(), [
      '.',
      'cmd',
      'cmd/server',
      'cmd/server/main.go',
      'go.mod',
      'vendor/modules.txt',
    ]);
  });

  it('reads only records that keep to the project folder', () => {
    const record = {
      tag: 'build-x',
      package: { importPath: 'example.com/app', name: 'main', dir: '.' },
      resolution: { ref: '.', tag: '' },
      inputs: { 'go.mod': 'sha256:1' },
      absentAbove: [],
      buildInfo: '',
      diffId: `sha256:${'a'.repeat(64)}`,
    };
    const bytes = (r: unknown) => Buffer.from(JSON.stringify(r));
    assert.ok(decodeRecord(bytes(record)));
    assert.equal(decodeRecord(bytes({ ...record, inputs: { '../etc/passwd': 'x' } })), undefined);
    assert.equal(decodeRecord(bytes({ ...record, inputs: { '/etc/passwd': 'x' } })), undefined);
    assert.equal(decodeRecord(bytes({ ...record, package: { ...record.package, dir: 'a/../../b' } })), undefined);
    assert.equal(decodeRecord(bytes({ ...record, absentAbove: ['../.git'] })), undefined);
    assert.equal(decodeRecord(bytes({ ...record, diffId: 'sha256:../x' })), undefined);
    assert.equal(decodeRecord(Buffer.from('not json')), undefined);
  });
});

describe('the buildCache option', () => {
  it('refuses a repository that does not parse, naming the option', async () => {
    await assert.rejects(
      build('./cmd/x', { dir: tmpdir(), buildCache: { repo: 'Not A Repo' } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'TSKO_INVALID_REFERENCE');
        assert.match(err.message, /options\.buildCache\.repo "Not A Repo"/);
        return true;
      },
    );
  });

  it('refuses unknown keys and a missing repo', async () => {
    for (const buildCache of [{ repo: 'r.example/c', writ: false }, { write: true }]) {
      await assert.rejects(
        build('./cmd/x', { dir: tmpdir(), buildCache } as never),
        (err: Error & { code?: string }) =>
          err.code === 'TSKO_CONFIG_INVALID' && /options\.buildCache/.test(err.message),
      );
    }
  });
});
