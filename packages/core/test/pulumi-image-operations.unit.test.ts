import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { checkImage, diffImage, registryCredentials, repositoryOf } from '@tsko/core/pulumi/operations';

describe("KoImage's provider operations (plain data, no engine)", () => {
  it('turns registries into a credentials source keyed by host, ignoring a scheme and a path', () => {
    assert.deepEqual(
      registryCredentials([
        { address: 'https://GHCR.io/v2/', username: 'u', password: 'p' },
        { address: '127.0.0.1:5000', username: 'a', password: 'b' },
      ]),
      { 'ghcr.io': { username: 'u', password: 'p' }, '127.0.0.1:5000': { username: 'a', password: 'b' } },
    );
    assert.deepEqual(registryCredentials(undefined), {});
  });

  it('finds the repository in every reference form publish() returns', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    assert.equal(repositoryOf(`r.io/app@${d}`, ['latest']), 'r.io/app');
    assert.equal(repositoryOf(`r.io/app:v1@${d}`, ['v1']), 'r.io/app');
    assert.equal(repositoryOf('127.0.0.1:5000/app:v1', ['v1']), '127.0.0.1:5000/app');
    assert.equal(repositoryOf(`127.0.0.1:5000/app@${d}`, []), '127.0.0.1:5000/app');
  });

  const state = {
    importPath: './cmd/app',
    options: { repo: 'r.io/x' },
    registries: [{ address: 'r.io', username: 'u', password: 'old' }],
    digest: `sha256:${'1'.repeat(64)}`,
    ref: `r.io/x/app@sha256:${'1'.repeat(64)}`,
    platforms: ['linux/amd64'],
    tags: ['latest'],
    repository: 'r.io/x/app',
  };

  it('sees no change when the program and options are the same, even with a rotated password', () => {
    assert.equal(
      diffImage(state, { ...state, registries: [{ ...state.registries[0]!, password: 'new' }] }).changes,
      false,
    );
  });

  it('sees a change of digest (the Go program changed), of options, and when the preview did not build', () => {
    assert.equal(diffImage(state, { ...state, digest: `sha256:${'2'.repeat(64)}` }).changes, true);
    assert.equal(diffImage(state, { ...state, options: { repo: 'r.io/y' } }).changes, true);
    const { digest: _d, ...unbuilt } = state;
    assert.equal(diffImage(state, unbuilt).changes, true);
  });

  it('with skipBuild, check() builds nothing and stores no outputs or flag', async () => {
    const checked = await checkImage({ ...state, importPath: './does/not/exist', skipBuild: true });
    assert.deepEqual(checked, {
      importPath: './does/not/exist',
      options: state.options,
      registries: state.registries,
    });
  });

  it('a failed check carries the TskoError code in its message (the provider protocol keeps only text)', async () => {
    await assert.rejects(checkImage({ importPath: '', options: { push: false } }), (err: Error) => {
      assert.match(err.message, /^TSKO_[A-Z_]+: /);
      return true;
    });
  });

  it('loads without @pulumi/pulumi: the provider process imports only this module', () => {
    const resolved = createRequire(import.meta.url).resolve('@tsko/core/pulumi/operations');
    assert.match(resolved, /dist\/pulumi\/image-operations\.js$/);
    assert.doesNotMatch(readFileSync(resolved, 'utf8'), /@pulumi\/pulumi/);
  });
});
