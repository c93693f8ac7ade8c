import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildKey, keyedEnv, unkeyableBuild, vcsStampPossible } from '../src/go/build-key.js';

const base = {
  importPath: 'example.com/app/cmd/app',
  platform: { os: 'linux', architecture: 'amd64' },
  dir: '/src/app',
  env: { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64', GOFLAGS: '-buildvcs=false' },
  flags: [] as string[],
  ldflags: [] as string[],
  tool: '/usr/local/go/bin/go:1:2:3:4:5',
};

describe('the input key of a Go build', () => {
  it('changes with each part that selects the output', () => {
    const k = buildKey(base);
    for (const changed of [
      { importPath: 'example.com/app/cmd/other' },
      { platform: { os: 'linux', architecture: 'arm64' } },
      { platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
      { dir: '/src/other' },
      { env: { ...base.env, GOEXPERIMENT: 'rangefunc' } },
      { env: { ...base.env, GOAMD64: 'v3' } },
      { env: { ...base.env, GOFLAGS: '-tags=x' } },
      { env: { ...base.env, CC: 'clang' } },
      { flags: ['-tags=x'] },
      { ldflags: ['-s'] },
      { tool: '/other/go:1:2:3:4:5' },
    ]) {
      assert.notEqual(buildKey({ ...base, ...changed }), k, JSON.stringify(changed));
    }
  });

  it('ignores variables that only say where modules come from or where caches live', () => {
    const k = buildKey(base);
    for (const extra of [{ GOCACHE: '/c' }, { GOPROXY: 'off' }, { GONOSUMDB: 'x' }, { PWD: '/x' }, { TERM: 'xterm' }]) {
      assert.equal(buildKey({ ...base, env: { ...base.env, ...extra } }), k, JSON.stringify(extra));
    }
    assert.deepEqual(keyedEnv({ GOOS: 'linux', GOCACHE: '/c', CGO_CFLAGS: '-O2', PATH: '/bin' }), [
      'CGO_CFLAGS=-O2',
      'GOOS=linux',
    ]);
  });

  it('refuses to key cgo, -a, -toolexec, -overlay, -modfile and a -pgo file, in flags or GOFLAGS', () => {
    assert.equal(unkeyableBuild(base.env, []), undefined);
    assert.equal(unkeyableBuild(base.env, ['-pgo=off', '-trimpath']), undefined);
    assert.match(unkeyableBuild({ ...base.env, CGO_ENABLED: '1' }, []) ?? '', /cgo/);
    assert.match(unkeyableBuild({ GOOS: 'linux' }, []) ?? '', /cgo/, 'CGO_ENABLED unset means Go decides');
    for (const f of ['-a', '--toolexec=x', '-overlay=o.json', '-modfile=alt.mod', '-pgo=prof.pgo']) {
      assert.ok(unkeyableBuild(base.env, [f]), f);
      assert.ok(unkeyableBuild({ ...base.env, GOFLAGS: `-trimpath ${f}` }, []), `GOFLAGS ${f}`);
    }
  });

  it('knows when Go may stamp VCS facts: the last -buildvcs wins, flags after GOFLAGS', () => {
    assert.equal(vcsStampPossible({}, []), true);
    assert.equal(vcsStampPossible({ GOFLAGS: '-buildvcs=false' }, []), false);
    assert.equal(vcsStampPossible({ GOFLAGS: '-buildvcs=false' }, ['-buildvcs=auto']), true);
    assert.equal(vcsStampPossible({ GOFLAGS: '-buildvcs' }, ['-buildvcs=false']), false);
  });
});
