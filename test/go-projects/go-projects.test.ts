import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isTskoError, publish, type PublishOptions, type PublishResult } from '@tsko/core';
import {
  fileFromLayer,
  goTestEnvironment,
  pushStaticBase,
  runOk,
  skopeoRaw,
  startPodman,
  startRegistry,
  writeModuleProxy,
  type Podman,
  type TestRegistry,
} from '@tsko/test-rig';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

interface SpdxPackage {
  name: string;
  versionInfo: string;
  primaryPackagePurpose?: string;
  checksums?: { algorithm: string; checksumValue: string }[];
}

describe('Go projects as users have them: built, pushed, run under podman', () => {
  let registry: TestRegistry;
  let podman: Podman;
  let base: string;
  let work: string;
  before(async () => {
    registry = await startRegistry('plain');
    [podman, base, work] = await Promise.all([
      startPodman([registry.host]),
      pushStaticBase(registry.host),
      mkdtemp(join(tmpdir(), 'tsko-goprojects-')),
    ]);
  });
  after(async () => {
    await podman?.cleanup();
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const options = (dir: string, extra: Partial<PublishOptions> = {}): PublishOptions => ({
    dir,
    repo: `${registry.host}/projects`,
    baseImage: base,
    platforms: ['linux/amd64'],
    sbomDir: join(work, 'sbom', String(Math.random()).slice(2)),
    environment: goTestEnvironment(),
    ...extra,
  });

  /** Runs the published image and returns its JSON answer. */
  const runJson = async (result: PublishResult) =>
    JSON.parse(await podman.runAndFetch(result.ref)) as Record<string, string>;

  /**
   * The binary, read back out of the pushed image, and `go version -m` on it: the SBOM must
   * list exactly the modules (path, version, h1 checksum) Go recorded in the binary.
   */
  async function assertSbomMatchesBinary(
    result: PublishResult,
    sbomDir: string,
    appName: string,
  ): Promise<SpdxPackage[]> {
    const repository = result.ref
      .slice(registry.host.length + 1)
      .split('@')[0]!
      .split(':')[0]!;
    const manifest = JSON.parse((await skopeoRaw(registry, result.ref)).toString()) as { layers: { digest: string }[] };
    const binary = await fileFromLayer(registry.host, repository, manifest.layers.at(-1)!.digest, `/ko-app/${appName}`);
    const path = join(work, `${appName}-${Date.now()}`);
    await writeFile(path, binary, { mode: 0o755 });
    const fromGo = await runOk('go', ['version', '-m', path], { env: goTestEnvironment() });
    // A `=>` line (a replace) stands for the dep line above it.
    const goDeps: { path: string; version: string; sum?: string | undefined }[] = [];
    for (const m of fromGo.matchAll(/^\t(dep|=>)\t(\S+)\t(\S+)\t?(h1:\S+)?$/gm)) {
      if (m[1] === '=>') goDeps.pop();
      goDeps.push({ path: m[2]!, version: m[3]!, sum: m[4] });
    }
    assert.ok(goDeps.length > 0, `go version -m lists dependencies:\n${fromGo}`);
    const [file] = (await readdir(sbomDir)).filter((f) => f.endsWith('.spdx.json'));
    const doc = JSON.parse(await readFile(join(sbomDir, file!), 'utf8')) as { packages: SpdxPackage[] };
    for (const dep of goDeps) {
      const pkg = doc.packages.find((p) => p.name === dep.path);
      assert.ok(pkg, `the SBOM lists ${dep.path}`);
      assert.equal(pkg.versionInfo, dep.version, `${dep.path} version`);
      const checksum = dep.sum ? Buffer.from(dep.sum.slice(3), 'base64').toString('hex') : undefined;
      assert.deepEqual(
        pkg.checksums?.map((c) => c.checksumValue),
        checksum ? [checksum] : undefined,
        `${dep.path} checksum`,
      );
    }
    // Everything else is the image (named by its digest), the base (`repo@digest`) or the main
    // module (`mod` in the build info); any other package would be a module the binary lacks.
    const main = /^\tmod\t(\S+)/m.exec(fromGo)?.[1];
    const modules = doc.packages.filter(
      (p) => !p.name.startsWith('sha256:') && !p.name.includes('@sha256:') && p.name !== main,
    );
    assert.deepEqual(
      modules.map((p) => p.name).sort(),
      goDeps.map((d) => d.path).sort(),
      'no module the binary does not contain',
    );
    return doc.packages;
  }

  it('a program with third-party modules from the module proxy, pinned by go.sum', async () => {
    const opts = options(fixture('deps'));
    const result = await publish('.', opts);
    // uuid v5 of (URL namespace, "https://tsko.invalid/deps"), computed outside Go.
    assert.deepEqual(await runJson(result), { program: 'deps', uuid: 'a1d8ba12-5e07-58af-afc6-8c8363bc6fd7' });
    const packages = await assertSbomMatchesBinary(result, opts.sbomDir!, 'deps');
    const byName = new Map(packages.map((p) => [p.name, p]));
    assert.equal(byName.get('github.com/google/uuid')?.versionInfo, 'v1.6.0');
    assert.equal(byName.get('github.com/julienschmidt/httprouter')?.versionInfo, 'v1.3.0');
    // The go.sum line for uuid v1.6.0, as hex: the checksum came from the binary, not made up.
    const sumLine = (await readFile(join(fixture('deps'), 'go.sum'), 'utf8')).match(
      /^github\.com\/google\/uuid v1\.6\.0 (h1:\S+)$/m,
    )![1]!;
    assert.equal(
      byName.get('github.com/google/uuid')?.checksums?.[0]?.checksumValue,
      Buffer.from(sumLine.slice(3), 'base64').toString('hex'),
    );
  });

  it('the same program vendored: vendor/ is used as Go uses it, with no module proxy and an empty module cache', async () => {
    const dir = join(work, 'vendored');
    await cp(fixture('deps'), dir, { recursive: true });
    await runOk('go', ['mod', 'vendor'], { cwd: dir, env: goTestEnvironment() });
    // Nothing but vendor/ can supply the modules now: GOPROXY=off and a fresh module cache.
    const environment = goTestEnvironment({ GOPROXY: 'off', GOMODCACHE: join(work, 'empty-modcache') });
    const opts = options(dir, { environment });
    const result = await publish('.', opts);
    assert.deepEqual(await runJson(result), { program: 'deps', uuid: 'a1d8ba12-5e07-58af-afc6-8c8363bc6fd7' });
    const packages = await assertSbomMatchesBinary(result, opts.sbomDir!, 'deps');
    assert.equal(packages.find((p) => p.name === 'github.com/google/uuid')?.versionInfo, 'v1.6.0');
  });

  it('a go.work workspace of two modules, the main package in the second', async () => {
    const result = await publish('example.com/ws/app/cmd/hello', options(fixture('workspace')));
    assert.equal(result.importPath, 'example.com/ws/app/cmd/hello');
    assert.deepEqual(await runJson(result), {
      program: 'workspace',
      greeting: "hello from the workspace's lib module",
    });
    // Go records workspace modules as (devel) deps without a checksum; the SBOM says the same.
    const opts = options(fixture('workspace'));
    const again = await publish('./app/cmd/hello', opts);
    assert.equal(again.digest, result.digest, 'a relative path from the workspace root names the same package');
    const packages = await assertSbomMatchesBinary(again, opts.sbomDir!, 'hello');
    assert.ok(
      packages.some((p) => p.name === 'example.com/ws/lib'),
      'the lib module is in the SBOM',
    );
  });

  it('a module whose go.mod has a toolchain line, built by the local Go', async () => {
    const result = await publish('.', options(fixture('toolchain')));
    const goVersion = (await runOk('go', ['env', 'GOVERSION'], { env: goTestEnvironment() })).trim();
    assert.deepEqual(await runJson(result), { program: 'toolchain', go: goVersion });
  });

  it('an import path whose case differs from its folder: lower-case repository, binary named as the import path', async () => {
    const result = await publish('.', options(fixture('mixedcase')));
    assert.equal(result.importPath, 'example.com/MixedCase');
    assert.match(result.ref, new RegExp(`^${registry.host}/projects/mixedcase-[0-9a-f]{32}@sha256:`));
    assert.deepEqual(await runJson(result), { program: 'MixedCase', self: '/ko-app/MixedCase' });
  });

  it('a main package in a sub-module that only .ko.yaml builds[].dir locates', async () => {
    const result = await publish('example.com/mono/services/svc/cmd/svc', options(fixture('submodule')));
    assert.equal(result.importPath, 'example.com/mono/services/svc/cmd/svc');
    assert.deepEqual(await runJson(result), { program: 'svc', built: 'by-builds-entry' });
  });

  describe("the caller's GOFLAGS, GOPROXY, GONOSUMDB and GOPRIVATE reach go as Go honours them", () => {
    let proxy: string;
    before(async () => {
      // private.example/greet exists only in this proxy folder.
      proxy = await writeModuleProxy(join(work, 'proxy'), [
        {
          path: 'private.example/greet',
          version: 'v1.0.0',
          files: {
            'go.mod': 'module private.example/greet\n\ngo 1.22\n',
            'greet.go':
              'package greet\n\n// Greeting comes from the private proxy.\nfunc Greeting() string { return "hello from a private module" }\n',
          },
        },
      ]);
    });
    const copy = async (name: string) => {
      const dir = join(work, `${name}-${Date.now()}`);
      await cp(fixture('goenv'), dir, { recursive: true });
      return dir;
    };

    it('GOPROXY + GONOSUMDB + GOFLAGS (-mod=mod adds the go.sum line, -tags selects a file)', async () => {
      const dir = await copy('goenv');
      // An empty module cache of its own, so the module must come through GOPROXY on every run.
      const environment = goTestEnvironment({
        GOPROXY: proxy,
        GONOSUMDB: 'private.example',
        GOFLAGS: '-modcacherw -buildvcs=false -mod=mod -tags=special',
        GOMODCACHE: `${dir}-modcache`,
      });
      const opts = options(dir, { environment });
      const result = await publish('.', opts);
      assert.deepEqual(await runJson(result), {
        program: 'goenv',
        greeting: 'hello from a private module',
        edition: 'special',
      });
      assert.match(await readFile(join(dir, 'go.sum'), 'utf8'), /^private\.example\/greet v1\.0\.0 h1:/m);
      const packages = await assertSbomMatchesBinary(result, opts.sbomDir!, 'goenv');
      assert.equal(packages.find((p) => p.name === 'private.example/greet')?.versionInfo, 'v1.0.0');
    });

    it('GOPRIVATE keeps the module out of the checksum database (GONOPROXY set so the proxy still serves it)', async () => {
      const dir = await copy('goenv-private');
      const environment = goTestEnvironment({
        GOPROXY: proxy,
        GOPRIVATE: 'private.example',
        GONOPROXY: 'none.invalid',
        GOFLAGS: '-modcacherw -buildvcs=false -mod=mod',
        GOMODCACHE: `${dir}-modcache`,
      });
      const result = await publish('.', options(dir, { environment }));
      assert.deepEqual(await runJson(result), {
        program: 'goenv',
        greeting: 'hello from a private module',
        edition: 'plain',
      });
    });

    it('GOPROXY=off from the caller: the private module cannot be found, and the error names it', async () => {
      const dir = await copy('goenv-off');
      const environment = goTestEnvironment({
        GOPROXY: 'off',
        GOMODCACHE: join(work, 'empty-modcache-off'),
        GOFLAGS: '-mod=mod',
      });
      await assert.rejects(publish('.', options(dir, { environment })), (err: unknown) => {
        assert.ok(isTskoError(err), String(err));
        assert.match(err.message, /private\.example\/greet/);
        return true;
      });
    });
  });
});
