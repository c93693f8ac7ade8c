import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isTskoError, publish, writeOciLayout, type PublishOptions } from '@tsko/core';
import { layoutRefNames, runOk, runTsChild, testImage } from '@tsko/test-rig';
import { FIXTURE, testEnvironment } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const child = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) => runTsChild(fixture(script), args, env);

describe('local sinks lose nothing', () => {
  let work: string;
  let app: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-local-sinks-'));
    // Six tiny commands beside the fixture's server, for one publish([6 paths]).
    app = join(work, 'app');
    await cp(FIXTURE, app, { recursive: true });
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await mkdir(join(app, 'cmd', n), { recursive: true });
      await writeFile(join(app, 'cmd', n, 'main.go'), `package main\n\nfunc main() { println("${n}") }\n`);
    }
  });
  after(() => rm(work, { recursive: true, force: true }));

  const opts = (extra: PublishOptions = {}) => ({
    dir: app,
    repo: 'tsko.test/team',
    naming: 'baseImportPaths' as const,
    baseImage: 'scratch',
    push: false,
    platforms: ['linux/amd64'],
    environment: testEnvironment(),
    ...extra,
  });

  it('10 concurrent publish calls into one layout keep 10 of 10 entries, each readable by skopeo and umoci', async () => {
    const layout = join(work, 'ten');
    const tags = Array.from({ length: 10 }, (_, i) => `v${i}`);
    const results = await Promise.all(
      tags.map((tag) => publish('./cmd/server', opts({ tags: [tag], sinks: [{ type: 'layout', path: layout }] }))),
    );
    assert.deepEqual(await layoutRefNames(layout), tags.map((t) => `tsko.test/team/server:${t}`).sort());
    for (const [i, tag] of tags.entries()) {
      const raw = JSON.parse(
        await runOk('skopeo', ['inspect', '--raw', `oci:${layout}:tsko.test/team/server:${tag}`]),
      ) as { config: { digest: string } };
      assert.ok(raw.config.digest.startsWith('sha256:'));
      assert.match(results[i]!.digest, /^sha256:/);
    }
    const listed = await runOk('umoci', ['ls', '--layout', layout]);
    for (const tag of tags) assert.ok(listed.includes(`tsko.test/team/server:${tag}`), listed);
    const leftovers = (await readdir(layout)).filter((n) => n !== 'blobs' && n !== 'index.json' && n !== 'oci-layout');
    assert.deepEqual(leftovers, [], 'no temp or lock files remain');
  });

  it('one publish of six import paths into one layout keeps all six', async () => {
    const layout = join(work, 'six');
    const paths = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `./cmd/${n}`);
    await publish(paths, opts({ sinks: [{ type: 'layout', path: layout }] }));
    const names = await layoutRefNames(layout);
    assert.deepEqual(
      names,
      ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `tsko.test/team/${n}:latest`),
    );
    for (const name of names) await runOk('skopeo', ['inspect', '--raw', `oci:${layout}:${name}`]);
  });

  for (const [what, text] of [
    ['not JSON', '{"schemaVersion": 2, "manifests": [ {'],
    ['not an index', '{"hello": "world"}'],
  ] as const) {
    it(`refuses an index.json that is ${what}, names it, and leaves it byte-identical`, async () => {
      const layout = join(work, `corrupt-${what.replace(/\W/g, '')}`);
      await writeOciLayout(layout, await testImage('kept', undefined, 1), 'kept');
      await writeFile(join(layout, 'index.json'), text);
      const blobsBefore = (await readdir(join(layout, 'blobs', 'sha256'))).sort();
      await assert.rejects(
        publish('./cmd/server', opts({ sinks: [{ type: 'layout', path: layout }] })),
        (err: unknown) => {
          assert.ok(isTskoError(err, 'TSKO_LAYOUT_INVALID'), String(err));
          assert.ok(err.message.includes(join(layout, 'index.json')), err.message);
          return true;
        },
      );
      assert.equal(await readFile(join(layout, 'index.json'), 'utf8'), text);
      assert.deepEqual(
        (await readdir(join(layout, 'blobs', 'sha256'))).sort(),
        blobsBefore,
        'nothing written into a layout we refused',
      );
    });
  }

  it('leaves no temporary folder behind after success, failure and abort (cacheDir: false, buildGoBinary)', async () => {
    const privateTmp = await mkdtemp(join(work, 'tmp-'));
    const goTmp = await mkdtemp(join(work, 'gotmp-'));
    // Go keeps its own work folders in GOTMPDIR; TMPDIR then holds only what tsko makes.
    const goEnv = testEnvironment({ GOTMPDIR: goTmp });
    const out = JSON.parse(
      await child('temp-dirs-child.ts', [app], { TMPDIR: privateTmp, TSKO_TEST_GO_ENV: JSON.stringify(goEnv) }),
    ) as Record<string, unknown>;
    assert.equal(out.before, 0);
    assert.equal(out.afterSuccess, 0);
    assert.equal(out.failureCode, 'TSKO_BUILD_FAILED');
    assert.equal(out.afterFailure, 0);
    assert.equal(out.mixedCode, 'TSKO_BUILD_FAILED');
    assert.equal(out.afterMixed, 0);
    assert.equal(out.abortCode, 'TSKO_ABORTED');
    assert.equal(out.afterAbort, 0);
    assert.equal(out.binaryFailureCode, 'TSKO_BUILD_FAILED');
    assert.equal(out.afterBinaryFailure, 0);
    assert.equal(out.binaryAbortCode, 'TSKO_ABORTED');
    assert.equal(out.afterBinaryAbort, 0);
    // A binary built without outDir is the caller's until the process exits.
    assert.equal(out.binaryExists, true);
    assert.equal(out.afterBinarySuccess, 1);
    assert.deepEqual(
      (await readdir(privateTmp)).filter((n) => !n.startsWith('tsx-')),
      [],
      'removed when the process exited',
    );
  });
});
