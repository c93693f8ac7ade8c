import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readTarLayer } from '@tsko/test-rig';
import {
  appFilename,
  binaryLayer,
  BlobStore,
  checkFlags,
  expandTemplate,
  formatPublishedRef,
  imageRepository,
  isTskoError,
  kodataLayer,
  parseBuildInfo,
  parseKoYaml,
  parseLayoutBase,
  platformEnv,
  stripKoPrefix,
} from '@tsko/core';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const D = `sha256:${'b'.repeat(64)}` as const;

describe('naming and references, as ko', () => {
  it('names repositories by strategy', () => {
    assert.equal(
      imageRepository('reg.io/team', 'example.com/app/cmd/api'),
      `reg.io/team/api-${md5('example.com/app/cmd/api')}`,
    );
    assert.equal(
      imageRepository('reg.io/team/', 'example.com/app/cmd/api', 'preserveImportPaths'),
      'reg.io/team/example.com/app/cmd/api',
    );
    assert.equal(imageRepository('reg.io/team', 'example.com/app/cmd/api', 'baseImportPaths'), 'reg.io/team/api');
    assert.equal(imageRepository('reg.io/team', 'example.com/app/cmd/api', 'bare'), 'reg.io/team');
    assert.equal(
      imageRepository('reg.io/t', 'github.com/Org/App', 'preserveImportPaths'),
      'reg.io/t/github.com/org/app',
    );
  });
  it('formats published references', () => {
    assert.equal(formatPublishedRef('r/a', D, ['latest'], false), `r/a@${D}`);
    assert.equal(formatPublishedRef('r/a', D, ['v1'], false), `r/a:v1@${D}`);
    assert.equal(formatPublishedRef('r/a', D, ['v1', 'latest'], false), `r/a@${D}`);
    assert.equal(formatPublishedRef('r/a', D, ['v1'], true), 'r/a:v1');
  });
  it('strips ko:// and names binaries by their last element', () => {
    assert.equal(stripKoPrefix('  ko://example.com/a/cmd/x '), 'example.com/a/cmd/x');
    assert.equal(stripKoPrefix('./cmd/x'), './cmd/x');
    assert.equal(appFilename('example.com/a/cmd/x'), 'x');
    assert.equal(appFilename('/'), 'ko-app');
  });
  it('splits oci-layout bases into path and tag', () => {
    assert.deepEqual(parseLayoutBase('oci-layout:///tmp/base:v1', '/x'), { path: '/tmp/base', tag: 'v1' });
    assert.deepEqual(parseLayoutBase('oci-layout://rel/base', '/x'), { path: '/x/rel/base' });
    assert.deepEqual(parseLayoutBase('oci-layout://./a:b/c', '/x'), { path: '/x/a:b/c' });
  });
});

describe('go build inputs', () => {
  it('sets GOOS/GOARCH/GOARM/GOAMD64 and CGO_ENABLED=0 from the platform', () => {
    assert.deepEqual(platformEnv({ os: 'linux', architecture: 'arm64' }), [
      'CGO_ENABLED=0',
      'GOOS=linux',
      'GOARCH=arm64',
    ]);
    assert.deepEqual(platformEnv({ os: 'linux', architecture: 'arm', variant: 'v7' }), [
      'CGO_ENABLED=0',
      'GOOS=linux',
      'GOARCH=arm',
      'GOARM=7',
    ]);
    assert.deepEqual(platformEnv({ os: 'linux', architecture: 'amd64', variant: 'v3' }), [
      'CGO_ENABLED=0',
      'GOOS=linux',
      'GOARCH=amd64',
      'GOAMD64=v3',
    ]);
  });
  it('refuses -toolexec but allows look-alikes', () => {
    for (const f of ['-toolexec', '--toolexec', '-toolexec=x', '--toolexec=x'])
      assert.throws(
        () => checkFlags([f]),
        (e: unknown) => isTskoError(e, 'TSKO_BUILD_PROGRAM_REFUSED'),
      );
    assert.doesNotThrow(() => checkFlags(['-tags=toolexec', '-toolexecutable', '-v', '-ldflags', '-s -w']));
    for (const flags of [
      ['-overlay=o.json'],
      ['-exec', 'x'],
      ['-ldflags', '-s -extld=/x'],
      ['--ldflags=-extldflags=-B/x'],
      ['-compiler=gccgo'],
    ]) {
      assert.throws(
        () => checkFlags(flags),
        (e: unknown) => isTskoError(e, 'TSKO_BUILD_PROGRAM_REFUSED') && e.message.includes(flags[0]!),
        flags.join(' '),
      );
    }
  });
  it('parses go version -m output', () => {
    const info = parseBuildInfo(
      '/ko-app/x: go1.19.8\n\tpath\texample.com/x\n\tmod\texample.com/x\t(devel)\t\n\tdep\tgolang.org/x/text\tv0.3.0\th1:abc=\n\t=>\t../text\t(devel)\t\n\tdep\tgithub.com/a/b\tv1.0.0\th1:AAAA\n\tbuild\tGOOS=linux\n',
    );
    assert.equal(info.goVersion, 'go1.19.8');
    assert.equal(info.path, 'example.com/x');
    // A replaced dependency is listed as required (Go's debug.ParseBuildInfo Path/Version, as ko).
    assert.deepEqual(
      info.deps.map((d) => `${d.path}@${d.version}`),
      ['golang.org/x/text@v0.3.0', 'github.com/a/b@v1.0.0'],
    );
    assert.equal(info.settings.GOOS, 'linux');
  });
});

describe('templates', () => {
  const data = { Env: { A: '1' }, Git: { ShortCommit: 'abc1234', IsDirty: false }, Timestamp: 5 };
  it('expands field references with or without spaces and trim markers', () => {
    assert.equal(
      expandTemplate('-X v={{.Env.A}}-{{ .Git.ShortCommit }}-{{- .Timestamp -}}-{{.Git.IsDirty}}', data, 'f'),
      '-X v=1-abc1234-5-false',
    );
    assert.equal(expandTemplate('no templates', data, 'f'), 'no templates');
  });
  it('rejects missing keys and unknown functions, naming where', () => {
    assert.throws(
      () => expandTemplate('{{.Env.B}}', data, 'file: defaultLdflags[0]'),
      /file: defaultLdflags\[0\]: template error: map has no entry for key "B"/,
    );
    assert.throws(() => expandTemplate('{{ env "A" }}', data, 'w'), /function "env" not defined/);
    assert.throws(() => expandTemplate('{{.Env.__proto__}}', data, 'w'), /no entry for key "__proto__"/);
  });
});

describe('.ko.yaml parsing', () => {
  it('accepts the ko fields', () => {
    const { config: y } = parseKoYaml(
      'defaultBaseImage: a\nbaseImageOverrides: {x: b}\ndefaultPlatforms: linux/amd64,linux/arm64\nbuilds:\n- {id: a, dir: ., main: ./cmd/a, env: [X=1], flags: [-v], ldflags: [-s]}\n',
    );
    assert.equal(y.builds?.[0]?.id, 'a');
    assert.deepEqual(y.defaultPlatforms, ['linux/amd64,linux/arm64']);
  });
  it('treats an empty file as no settings', () => {
    assert.deepEqual(parseKoYaml(''), { config: {}, unknownKeys: [] });
  });
  it('collects an unknown builds key by its path instead of refusing it (ko ignores it)', () => {
    assert.deepEqual(parseKoYaml('builds:\n- {mian: ./x}\n', 'cfg/.ko.yaml').unknownKeys, ['builds[0].mian']);
  });
  it('names the file and field of a builds entry that is not a map', () => {
    assert.throws(
      () => parseKoYaml('builds:\n- ./x\n', 'cfg/.ko.yaml'),
      (e: unknown) =>
        isTskoError(e, 'TSKO_CONFIG_INVALID') && /cfg\/\.ko\.yaml: builds\[0\]: expected a map/.test(e.message),
    );
  });
});

describe('layers are reproducible and shaped as ko makes them', () => {
  it('writes the binary layer with ko-app 0555 entries owned by root at mtime 0, and caches it by content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-layer-'));
    try {
      const bin = join(dir, 'app');
      await writeFile(bin, 'pretend binary');
      await chmod(bin, 0o700);
      const store = new BlobStore(join(dir, 'store'));
      const first = await binaryLayer({ binaryPath: bin, appName: 'app', store });
      assert.equal(first.cached, false);
      const entries = await readTarLayer(await first.layer.open());
      assert.deepEqual(
        entries.map((e) => [e.name, e.type, e.mode, e.uid, e.gid, e.mtime]),
        [
          ['ko-app', 'directory', 0o555, 0, 0, 0],
          ['/ko-app/app', 'file', 0o555, 0, 0, 0],
        ],
      );
      assert.equal(entries[1]!.body, 'pretend binary');
      const again = await binaryLayer({ binaryPath: bin, appName: 'app', store });
      assert.equal(again.cached, true);
      assert.equal(again.layer.digest, first.layer.digest);
      const elsewhere = await binaryLayer({
        binaryPath: bin,
        appName: 'app',
        store: new BlobStore(join(dir, 'other-store')),
      });
      assert.equal(elsewhere.layer.digest, first.layer.digest, 'same bytes in a fresh cache give the same digest');
      assert.equal(elsewhere.layer.diffId, first.layer.diffId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes kodata under /var/run/ko in sorted order with a fixed mtime', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsko-kodata-'));
    try {
      await mkdir(join(dir, 'kodata', 'b'), { recursive: true });
      await writeFile(join(dir, 'kodata', 'z.txt'), 'z');
      await writeFile(join(dir, 'kodata', 'a.txt'), 'a');
      await writeFile(join(dir, 'kodata', 'b', 'c.txt'), 'c');
      const store = new BlobStore(join(dir, 'store'));
      const layer = await kodataLayer({ kodataDir: join(dir, 'kodata'), mtime: new Date(1_700_000_000_000), store });
      const entries = await readTarLayer(await layer.open());
      assert.deepEqual(
        entries.map((e) => e.name),
        [
          '/var',
          '/var/run',
          '/var/run/ko',
          '/var/run/ko/a.txt',
          '/var/run/ko/b',
          '/var/run/ko/b/c.txt',
          '/var/run/ko/z.txt',
        ],
      );
      assert.ok(entries.every((e) => e.mode === 0o555 && e.uid === 0 && e.mtime === 1_700_000_000_000));
      const missing = await kodataLayer({ kodataDir: join(dir, 'nope'), store });
      assert.deepEqual(
        (await readTarLayer(await missing.open())).map((e) => e.name),
        ['/var', '/var/run', '/var/run/ko'],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
