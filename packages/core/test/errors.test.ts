import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, isTskoError, publish, writeOciLayout, type Image, type PublishOptions } from '@tsko/core';
import { readTarLayer } from '@tsko/test-rig';
import { baseImage, FIXTURE, testEnvironment } from './helpers.js';

describe('bad input gets a typed, actionable error', () => {
  let work: string;
  let singleBase: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-errors-'));
    singleBase = join(work, 'single-base');
    await writeOciLayout(singleBase, await baseImage({ os: 'linux', architecture: 'amd64' }), 'v1');
  });
  after(() => rm(work, { recursive: true, force: true }));

  const opts = (extra: PublishOptions = {}) => ({
    dir: FIXTURE,
    baseImage: 'scratch',
    push: false,
    environment: testEnvironment(),
    ...extra,
  });

  it('a package that is not main is TSKO_NOT_MAIN naming it', async () => {
    await assert.rejects(
      publish('./lib', opts()),
      (err: unknown) =>
        isTskoError(err, 'TSKO_NOT_MAIN') &&
        /example\.com\/app\/lib/.test(err.message) &&
        /not package main/.test(err.message),
    );
  });

  it("a path that does not exist is TSKO_NOT_MAIN with go list's reason", async () => {
    await assert.rejects(
      publish('ko://example.com/app/cmd/nope', opts()),
      (err: unknown) => isTskoError(err, 'TSKO_NOT_MAIN') && /cmd\/nope/.test(err.message),
    );
  });

  it('a compile error is TSKO_BUILD_FAILED carrying the compiler output', async () => {
    await assert.rejects(publish('./cmd/broken', opts()), (err: unknown) => {
      assert.ok(isTskoError(err, 'TSKO_BUILD_FAILED'));
      assert.match(err.message, /undefined: undefinedFunction/);
      assert.match(String(err.details?.output), /main\.go:5/);
      return true;
    });
  });

  it('refuses -toolexec in any spelling', async () => {
    for (const flag of ['-toolexec=/bin/sh', '--toolexec', '-toolexec']) {
      await assert.rejects(
        publish('./cmd/server', opts({ flags: [flag] })),
        (err: unknown) => isTskoError(err, 'TSKO_BUILD_PROGRAM_REFUSED') && err.message.includes(flag),
      );
    }
  });

  it('a kodata symlink that leaves kodata/ is TSKO_KODATA_ESCAPE', async () => {
    const app = join(work, 'escape');
    await cp(FIXTURE, app, { recursive: true });
    await writeFile(join(work, 'secret.txt'), 'host secret');
    await symlink(join(work, 'secret.txt'), join(app, 'cmd/server/kodata/leak.txt'));
    await assert.rejects(
      publish('./cmd/server', opts({ dir: app })),
      (err: unknown) => isTskoError(err, 'TSKO_KODATA_ESCAPE') && /leak\.txt/.test(err.message),
    );
  });

  it('a kodata symlink inside kodata/ is followed', async () => {
    const app = join(work, 'inside');
    await cp(FIXTURE, app, { recursive: true });
    await symlink('greeting.txt', join(app, 'cmd/server/kodata/alias.txt'));
    await mkdir(join(app, 'cmd/server/kodata/linked'), { recursive: true });
    const result = await build('./cmd/server', opts({ dir: app, platforms: ['linux/amd64'] }));
    assert.equal(result.image.kind, 'image');
    const layers = (result.image as Image).layers;
    const kodata = await readTarLayer(await layers[layers.length - 2]!.open());
    const alias = kodata.find((e) => e.name === '/var/run/ko/alias.txt');
    assert.equal(alias?.type, 'file', 'the symlink became a regular file in the image');
    assert.equal(alias?.body, 'hello from kodata\n', 'with the content of its target');
  });

  it('a single-image base whose platform does not match is TSKO_PLATFORM_NOT_FOUND', async () => {
    await assert.rejects(
      publish('./cmd/server', opts({ baseImage: `oci-layout://${singleBase}:v1`, platforms: ['linux/arm64'] })),
      (err: unknown) => isTskoError(err, 'TSKO_PLATFORM_NOT_FOUND') && /single linux\/amd64 image/.test(err.message),
    );
  });

  it('publishing without a repo is TSKO_NO_REPO naming KO_DOCKER_REPO', async () => {
    await assert.rejects(
      publish('./cmd/server', opts({ push: true })),
      (err: unknown) => isTskoError(err, 'TSKO_NO_REPO') && /KO_DOCKER_REPO/.test(err.message),
    );
  });

  it('a typo in the options is TSKO_CONFIG_INVALID naming the key', async () => {
    await assert.rejects(
      // @ts-expect-error a misspelt option name, on purpose: the runtime check is what is tested
      publish('./cmd/server', opts({ platfroms: ['linux/amd64'] })),
      (err: unknown) => isTskoError(err, 'TSKO_CONFIG_INVALID') && /platfroms/.test(err.message),
    );
  });

  it('push: false returns the would-be digest-pinned reference without any registry', async () => {
    const result = await publish(
      './cmd/server',
      opts({ repo: 'registry.invalid/team', platforms: ['linux/amd64'], tags: ['v3'], naming: 'preserveImportPaths' }),
    );
    assert.equal(result.ref, `registry.invalid/team/example.com/app/cmd/server:v3@${result.digest}`);
  });

  it('runs the Go tool named by KO_GO_PATH or goBinary, and says so when it is missing', async () => {
    const log = join(work, 'go-wrapper.log');
    const wrapper = join(work, 'go-wrapper');
    await writeFile(wrapper, `#!/bin/sh\necho "$1" >> ${log}\nexec go "$@"\n`);
    const { chmod, readFile } = await import('node:fs/promises');
    await chmod(wrapper, 0o755);
    await build(
      './cmd/server',
      opts({ platforms: ['linux/amd64'], environment: testEnvironment({ KO_GO_PATH: wrapper }) }),
    );
    // go list resolves the path, go list -deps names the inputs that key the build, go build;
    // the build information is read from the binary (no go version -m).
    assert.deepEqual((await readFile(log, 'utf8')).trim().split('\n'), ['list', 'list', 'build']);
    await assert.rejects(
      build('./cmd/server', opts({ goBinary: join(work, 'no-such-go') })),
      (err: unknown) => isTskoError(err, 'TSKO_GO_NOT_FOUND') && /no-such-go/.test(err.message),
    );
  });

  it('an AbortSignal kills go build and rejects with TSKO_ABORTED', async () => {
    const controller = new AbortController();
    const started = Date.now();
    // A fresh GOCACHE makes the build slow enough to abort mid-way.
    const env = testEnvironment({ GOCACHE: join(work, 'cold-cache') });
    const pending = publish(
      './cmd/server',
      opts({
        environment: env,
        platforms: ['linux/arm64'],
        // Inputs no earlier build had, so the build is not answered from its input record.
        ldflags: [`-X main.version=abort-${Date.now()}`],
        signal: controller.signal,
        onEvent: (e: { type: string }) => e.type === 'build:start' && setTimeout(() => controller.abort(), 300),
      }),
    );
    await assert.rejects(pending, (err: unknown) => isTskoError(err, 'TSKO_ABORTED'));
    assert.ok(Date.now() - started < 8000, `aborting took ${Date.now() - started} ms`);
  });
});
