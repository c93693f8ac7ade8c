/**
 * Ported from ko's integration_test.sh, step 3 ("Linux capabilities", with
 * test/build-configs/caps.ko.yaml): a binary built without file capabilities gets none even
 * when the container is granted `net_bind_service`; built with
 * `linux_capabilities: net_bind_service chown`, a non-root process starts with them. The
 * image runs under podman (runc), which applies the tar's security.capability xattr.
 * Podman (unlike Docker, which ko's script uses) also raises `--cap-add` capabilities for a
 * non-root user as ambient ones, so here the containers run with the default capability set
 * and no `--cap-add`: the only way for user 1 to hold a capability is the file's xattr.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { publish, type PublishOptions } from '@tsko/core';
import { startPodman, type Podman } from '@tsko/test-rig';
import { testEnvironment } from '../helpers.js';

const CAPS = fileURLToPath(new URL('./fixtures/caps', import.meta.url));

describe('ko integration_test.sh: Linux capabilities reach the running container', () => {
  let work: string;
  let app: string;
  let podman: Podman;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-ko-caps-'));
    app = join(work, 'caps');
    await cp(CAPS, app, { recursive: true });
    // ko's caps.ko.yaml, as input: the string shorthand is split into two capabilities.
    await writeFile(
      join(work, 'caps.ko.yaml'),
      'builds:\n- id: caps-app-with-caps\n  main: .\n  linux_capabilities: net_bind_service chown\n',
    );
    podman = await startPodman();
  });
  after(async () => {
    await podman?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const runAsUser1 = async (tag: string, extra: PublishOptions): Promise<string> => {
    const tarball = join(work, `${tag}.tar`);
    await publish('.', {
      dir: app,
      repo: 'tsko.test/caps',
      naming: 'bare',
      baseImage: 'scratch',
      platforms: ['linux/amd64'],
      push: false,
      tags: [tag],
      sinks: [{ type: 'tarball', path: tarball }],
      environment: testEnvironment({ GOFLAGS: '-mod=mod -buildvcs=false' }),
      ...extra,
    });
    await podman.cmd(['load', '-i', tarball]);
    return (await podman.cmd(['run', '--rm', '--network=host', '--user', '1', `tsko.test/caps:${tag}`])).trim();
  };

  it('without linux_capabilities, a non-root process holds no capability', async () => {
    assert.equal(await runAsUser1('plain', {}), 'CapPrm 0000000000000000');
  });

  it('with linux_capabilities: net_bind_service chown, the process starts with exactly those', async () => {
    // CAP_CHOWN is bit 0 and CAP_NET_BIND_SERVICE bit 10: 0x401.
    assert.equal(await runAsUser1('with-caps', { configPath: join(work, 'caps.ko.yaml') }), 'CapPrm 0000000000000401');
  });
});
