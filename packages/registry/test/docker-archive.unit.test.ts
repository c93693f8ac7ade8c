import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveEntries, emptyImage, ImageIndex } from '@tsko/registry';

describe('docker archive entries for an index', () => {
  it('tags every platform and gives the plain tag to the preferred one', () => {
    const amd = emptyImage({ os: 'linux', architecture: 'amd64' });
    const arm = emptyImage({ os: 'linux', architecture: 'arm', variant: 'v7' });
    const idx = ImageIndex.create([{ image: amd }, { image: arm }]);
    assert.deepEqual(
      archiveEntries(idx, 'r/a', ['v1'], { os: 'linux', architecture: 'arm', variant: 'v7' }).map((e) => e.repoTags),
      [['r/a:v1-linux-amd64'], ['r/a:v1', 'r/a:v1-linux-arm-v7']],
    );
    assert.deepEqual(
      archiveEntries(amd, 'r/a', ['v1', 'latest']).map((e) => e.repoTags),
      [['r/a:v1', 'r/a:latest']],
    );
  });
});
