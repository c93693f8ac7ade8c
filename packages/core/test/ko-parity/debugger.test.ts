// ko's `--debug` (pkg/build/gobuild.go buildOne, TestDebugger in gobuild_test.go): Delve in the
// image at /ko-app/dlv, the program started under it on port 40000. Proven with the real Go
// toolchain building Delve from the module proxy, a real registry, and podman running the image
// with Delve answering its JSON-RPC API and then letting the program serve.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { build, publish, type CoreEvent, type Image, type PublishOptions } from '@tsko/core';
import { readTarLayer, startPodman, startRegistry, waitFor, type Podman, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, pushBaseIndex, testEnvironment } from '../helpers.js';

const DELVE_ENTRYPOINT = [
  '/ko-app/dlv',
  'exec',
  '--listen=:40000',
  '--headless',
  '--log',
  '--accept-multiclient',
  '--api-version=2',
  '--',
];

/** One JSON-RPC 2 call to Delve's API (newline-delimited JSON over TCP), with a deadline. */
function delveCall(method: string, params: unknown, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: 40000 });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${method}: no answer from Delve in ${timeoutMs} ms`));
    }, timeoutMs);
    let text = '';
    socket.on('connect', () => socket.write(`${JSON.stringify({ method, params: [params], id: 1 })}\n`));
    socket.on('data', (d) => {
      text += d.toString();
      if (!text.includes('\n')) return;
      clearTimeout(timer);
      socket.end();
      resolve(JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('debug: Delve in the image (ko --debug)', () => {
  let registry: TestRegistry;
  let podman: Podman;
  let base: string;
  before(async () => {
    registry = await startRegistry('plain');
    podman = await startPodman([registry.host]);
    base = (await pushBaseIndex(registry)).ref;
  });
  after(async () => {
    await podman?.cleanup();
    await registry?.stop();
  });

  const options = (extra: PublishOptions) => ({
    dir: FIXTURE,
    baseImage: base,
    environment: testEnvironment(),
    sbom: 'none' as const,
    ...extra,
  });

  it('TestDebugger: Delve at /ko-app/dlv, the entrypoint starts the program under it; a second build reuses the cached Delve', async () => {
    const events: CoreEvent[] = [];
    const result = await build('./cmd/server', {
      ...options({ platforms: ['linux/amd64'], debug: true }),
      onEvent: (e) => events.push(e as CoreEvent),
    });
    const image = result.image as Image;
    assert.deepEqual(image.config.config?.Entrypoint, [...DELVE_ENTRYPOINT, '/ko-app/server']);
    assert.equal(image.config.config?.Cmd, undefined);
    const history = image.config.history ?? [];
    assert.equal(history.at(-1)?.comment, 'Delve debugger, at /ko-app/dlv');
    assert.equal(history.at(-2)?.comment, 'go build output, at /ko-app/server');
    const delve = await readTarLayer(await image.layers.at(-1)!.open());
    assert.deepEqual(
      delve.map((e) => [e.name, e.type, e.mode]),
      [
        ['ko-app', 'directory', 0o555],
        ['/ko-app/dlv', 'file', 0o555],
      ],
    );
    assert.equal(delve[1]!.body.slice(1, 4), 'ELF', 'a Linux executable');
    assert.ok(events.some((e) => (e.type === 'layer:built' || e.type === 'layer:cached') && e.layer === 'delve'));

    const again: CoreEvent[] = [];
    const second = await build('./cmd/server', {
      ...options({ platforms: ['linux/amd64'], debug: true }),
      onEvent: (e) => again.push(e as CoreEvent),
    });
    assert.equal((second.image as Image).digest, image.digest, 'a debug build is reproducible');
    assert.ok(
      again.some((e) => e.type === 'layer:cached' && e.layer === 'delve'),
      'Delve is not built twice',
    );
  });

  it('a platform Delve does not run on is built without it, and an event says so', async () => {
    const events: CoreEvent[] = [];
    const result = await build('./cmd/server', {
      ...options({ platforms: ['linux/amd64', 'linux/arm64'], debug: true }),
      onEvent: (e) => events.push(e as CoreEvent),
    });
    assert.equal(result.platforms.length, 2);
    for (const p of result.platforms) {
      assert.deepEqual(p.image.config.config?.Entrypoint, [...DELVE_ENTRYPOINT, '/ko-app/server']);
    }
    assert.equal(events.filter((e) => e.type === 'build:debug-unsupported').length, 0);
    // The fixture's base has no arm/v7 image; scratch has every platform.
    const armEvents: CoreEvent[] = [];
    const arm = await build('./cmd/server', {
      ...options({ baseImage: 'scratch', platforms: ['linux/arm/v7'], debug: true }),
      onEvent: (e) => armEvents.push(e as CoreEvent),
    });
    assert.deepEqual((arm.image as Image).config.config?.Entrypoint, ['/ko-app/server']);
    assert.deepEqual(
      armEvents.filter((e) => e.type === 'build:debug-unsupported'),
      [{ type: 'build:debug-unsupported', importPath: 'example.com/app/cmd/server', platform: 'linux/arm/v7' }],
    );
  });

  it('the pushed image runs under podman: Delve answers on port 40000, and after continue the program serves', async () => {
    const result = await publish('./cmd/server', {
      ...options({ platforms: ['linux/amd64'], debug: true, repo: `${registry.host}/debug` }),
    });
    const name = 'tsko-delve';
    const port = 18_000 + Math.floor(Math.random() * 1000);
    // Delve traces its child: ptrace needs the capability and no seccomp filter, as with docker.
    await podman.cmd([
      'run',
      '-d',
      '--name',
      name,
      '--network=host',
      '--cap-add=SYS_PTRACE',
      '--security-opt=seccomp=unconfined',
      '-e',
      `PORT=${port}`,
      result.ref,
    ]);
    try {
      let version: Record<string, unknown> = {};
      await waitFor(
        'Delve answering on 127.0.0.1:40000',
        async () => {
          version = await delveCall('RPCServer.GetVersion', {}, 2000);
          return true;
        },
        60_000,
      );
      const answer = version.result as { DelveVersion: string };
      assert.match(answer.DelveVersion, /1\.27\.2/, 'the pinned Delve release');
      // continue blocks until the program stops; its answer is not awaited.
      delveCall('RPCServer.Command', { name: 'continue' }, 120_000).catch(() => undefined);
      let body = '';
      await waitFor(
        `the program answering on ${port}`,
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          body = await res.text();
          return res.ok;
        },
        30_000,
      );
      assert.equal(JSON.parse(body).platform, 'linux/amd64');
    } finally {
      await podman.cmd(['rm', '-f', name]).catch(() => undefined);
    }
  });
});
