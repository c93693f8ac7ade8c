import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonImage, daemonSocket, emptyImage, ImageIndex, isTskoError } from '@tsko/registry';

describe('which socket and which image the daemon loader uses', () => {
  it('takes the socket given, else a unix DOCKER_HOST, else /var/run/docker.sock', () => {
    assert.equal(daemonSocket('unix:///run/podman.sock', {}), '/run/podman.sock');
    assert.equal(daemonSocket('/tmp/d.sock', { DOCKER_HOST: 'unix:///elsewhere' }), '/tmp/d.sock');
    assert.equal(daemonSocket(undefined, { DOCKER_HOST: 'unix:///run/user/1/docker.sock' }), '/run/user/1/docker.sock');
    assert.equal(daemonSocket(undefined, {}), '/var/run/docker.sock');
  });

  it('refuses a DOCKER_HOST that is not a unix socket, naming it', () => {
    assert.throws(
      () => daemonSocket(undefined, { DOCKER_HOST: 'tcp://127.0.0.2:2375' }),
      (err: unknown) => isTskoError(err, 'TSKO_DAEMON') && err.message.includes('tcp://127.0.0.2:2375'),
    );
  });

  const amd = emptyImage({ os: 'linux', architecture: 'amd64' });
  const arm = emptyImage({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  const index = ImageIndex.create([{ image: amd }, { image: arm }]);

  it("loads an index's GOOS/GOARCH child (default linux/amd64), as ko.local does", () => {
    assert.equal(daemonImage(index, {}, 'app').digest, amd.digest);
    assert.equal(daemonImage(index, { GOARCH: 'arm64' }, 'app').digest, arm.digest);
    assert.equal(daemonImage(amd, { GOARCH: 'arm64' }, 'app'), amd, 'a single image is loaded as it is');
  });

  it('names the platform it wanted and the ones the index has when none matches', () => {
    assert.throws(
      () => daemonImage(index, { GOARCH: 's390x' }, 'example.com/app'),
      (err: unknown) =>
        isTskoError(err, 'TSKO_PLATFORM_NOT_FOUND') &&
        /linux\/s390x image of example\.com\/app .* has only linux\/amd64, linux\/arm64\/v8;/.test(err.message),
    );
  });
});
