/**
 * Cases ported from ko's pkg/build/gobuild_test.go TestCreateTemplateData and TestGoEnv, and
 * pkg/internal/git/info_test.go's expectations, against real git and go.
 *
 * Not ported: "bad env" (an entry without `=`): tsko refuses it when .ko.yaml is read
 * (options-build.unit.test.ts), before any template data exists.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runOk } from '@tsko/test-rig';
import { gitInfo, goEnv, hostFacts, templateData } from '../../src/config/template-data.js';
import { testEnvironment } from '../helpers.js';

describe('ko pkg/build/gobuild_test.go: TestCreateTemplateData and TestGoEnv', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-template-data-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it("no git repository: empty git facts, a clean tree, Go's zero time", async () => {
    const dir = await mkdtemp(join(work, 'plain-'));
    assert.deepEqual(await gitInfo(dir), {
      Branch: '',
      Tag: '',
      ShortCommit: '',
      FullCommit: '',
      CommitDate: '0001-01-01T00:00:00Z',
      CommitTimestamp: -62135596800,
      IsDirty: false,
      IsClean: true,
      TreeState: 'clean',
    });
  });

  it('git: branch main, tag v0.0.1, a clean tree; without a tag, v0.0.0; an untracked file makes it dirty', async () => {
    const dir = await mkdtemp(join(work, 'repo-'));
    const git = (...args: string[]) =>
      runOk('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        cwd: dir,
        env: { ...process.env, GIT_COMMITTER_DATE: '2012-11-01T22:08:00Z', GIT_AUTHOR_DATE: '2012-11-01T22:08:00Z' },
      });
    await git('init', '-q', '-b', 'main');
    await git('remote', 'add', 'origin', 'git@github.com:foo/bar.git');
    await git('commit', '-q', '--allow-empty', '-m', 'commit1');
    const untagged = await gitInfo(dir);
    assert.equal(untagged.Tag, 'v0.0.0');
    await git('tag', 'v0.0.1');
    const info = await gitInfo(dir);
    const full = (await git('rev-parse', 'HEAD')).trim();
    assert.deepEqual(info, {
      Branch: 'main',
      Tag: 'v0.0.1',
      ShortCommit: full.slice(0, 7),
      FullCommit: full,
      CommitDate: '2012-11-01T22:08:00Z',
      CommitTimestamp: 1351807680,
      IsDirty: false,
      IsClean: true,
      TreeState: 'clean',
    });
    await writeFile(join(dir, 'new.txt'), 'x');
    assert.equal((await gitInfo(dir)).TreeState, 'dirty');
  });

  it('TestGoEnv: go env names the host platform', async () => {
    const vars = await goEnv(work, testEnvironment());
    assert.equal(vars.GOOS, process.platform);
    assert.equal(vars.GOARCH, process.arch === 'x64' ? 'amd64' : process.arch);
  });

  it('creation time, env, default go env and env overriding go env', async () => {
    const facts = await hostFacts(work, testEnvironment());
    const created = new Date('2012-11-01T22:08:00Z');
    const data = templateData(facts, { FOO: 'bar', GOOS: 'testgoos', GOARCH: 'testgoarch' }, created, new Date());
    assert.equal(data.Date, '2012-11-01T22:08:00Z');
    assert.equal(data.Timestamp, 1351807680);
    assert.deepEqual(data.Env, { LDFLAGS: '', FOO: 'bar', GOOS: 'testgoos', GOARCH: 'testgoarch' });
    const goEnvData = data.GoEnv as Record<string, string>;
    assert.deepEqual([goEnvData.GOOS, goEnvData.GOARCH], ['testgoos', 'testgoarch']);
    assert.equal(goEnvData.GOROOT, facts.goEnv.GOROOT, 'other keys stay as go env reports them');
    assert.equal((data.GoEnv as Record<string, string>).FOO, undefined, 'only keys go env has are overridden');
  });

  it('empty creation time: .Date and .Timestamp are now, truncated to the second', async () => {
    const facts = await hostFacts(work, testEnvironment());
    const now = new Date('2024-05-06T07:08:09.987Z');
    const data = templateData(facts, {}, undefined, now);
    assert.deepEqual([data.Date, data.Timestamp], ['2024-05-06T07:08:09Z', 1714979289]);
  });
});
