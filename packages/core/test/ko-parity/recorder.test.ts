// Cases ported from ko (github.com/ko-build/ko) pkg/publish/recorder_test.go: what the
// `--image-refs` file holds, restated against tsko's imageRefsFile option and the
// imageRefs of each result. Real Go builds on a scratch base; nothing is pushed.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageRefsFor, publish, type PublishOptions } from '@tsko/core';
import { parseReference, referenceName } from '@tsko/registry';
import { FIXTURE, testEnvironment } from '../helpers.js';

describe('pkg/publish/recorder_test.go', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-refs-'));
  });
  after(() => rm(work, { recursive: true, force: true }));
  const options = (extra: PublishOptions) => ({
    dir: FIXTURE,
    repo: 'docker.io/ubuntu',
    naming: 'bare' as const,
    baseImage: 'scratch',
    push: false,
    environment: testEnvironment(),
    ...extra,
  });
  const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');

  it('TestRecorder: an image published twice and an index of two give 1 + 1 + 3 lines, each a reference into the repository', async () => {
    const file = join(work, 'refs.txt');
    // Two requests for one import path: ko's recorder writes each publish, so both are listed.
    const images = await publish(
      ['./cmd/server', 'ko://example.com/app/cmd/server'],
      options({ platforms: ['linux/amd64'], imageRefsFile: file }),
    );
    assert.deepEqual(await lines(file), [images[0]!.ref, images[1]!.ref]);
    const index = await publish(
      './cmd/server',
      options({ platforms: ['linux/amd64', 'linux/arm64'], imageRefsFile: join(work, 'index.txt') }),
    );
    const indexLines = await lines(join(work, 'index.txt'));
    assert.deepEqual(
      indexLines,
      [`docker.io/ubuntu@${index.digest}`, ...index.platforms.map((p) => `docker.io/ubuntu@${p.digest}`)],
      'the index first, then each image',
    );
    assert.deepEqual(index.imageRefs, indexLines);
    const all = [...(await lines(file)), ...indexLines];
    assert.equal(all.length, 5);
    for (const line of all) assert.equal(referenceName(parseReference(line)), 'docker.io/library/ubuntu');
  });

  it('the file is replaced by each publish call, and not created when nothing is published', async () => {
    const file = join(work, 'again.txt');
    await publish('./cmd/server', options({ platforms: ['linux/amd64'], imageRefsFile: file }));
    const second = await publish(
      './cmd/server',
      options({ platforms: ['linux/amd64'], tags: ['v2'], imageRefsFile: file }),
    );
    assert.deepEqual(await lines(file), [second.ref]);
    const never = join(work, 'never.txt');
    await assert.rejects(publish('./cmd/broken', options({ platforms: ['linux/amd64'], imageRefsFile: never })));
    await assert.rejects(stat(never), /ENOENT/);
  });

  it('imageRefsFor: one line for an image, index then children for an index', () => {
    const d = (c: string) => `sha256:${c.repeat(64)}` as const;
    assert.deepEqual(imageRefsFor(`r/a:v1@${d('a')}`, 'r/a', d('a'), undefined), [`r/a:v1@${d('a')}`]);
    assert.deepEqual(imageRefsFor(`r/a@${d('i')}`, 'r/a', d('i'), [d('1'), d('2')]), [
      `r/a@${d('i')}`,
      `r/a@${d('1')}`,
      `r/a@${d('2')}`,
    ]);
  });
});
