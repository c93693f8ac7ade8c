import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { emptyImage, ImageIndex, pushImage, sha256 } from '@tsko/registry';
import { isTskoError, koResolver, resolveApp, synthApp, type Cdk8sAppLike } from '@tsko/resolve';
import {
  goTestEnvironment,
  skopeoRaw,
  startFakeKubeApi,
  startRegistry,
  type FakeKubeApi,
  type TestRegistry,
} from '@tsko/test-rig';

// The real cdk8s and cdk8s-plus from npm, as the CDK8s example installs them.
const fromExample = createRequire(fileURLToPath(new URL('../examples/cdk8s/main.mjs', import.meta.url)));
type Construct = object;
type AppCtor = new (props?: Record<string, unknown>) => Cdk8sAppLike & Construct;
const cdk8s = fromExample('cdk8s') as {
  App: AppCtor;
  Chart: new (scope: Construct, id: string) => Construct;
  YamlOutputType: Record<string, number>;
};
const kplus = fromExample('cdk8s-plus-32') as {
  Deployment: new (
    scope: Construct,
    id: string,
    props: Record<string, unknown>,
  ) => {
    exposeViaService(props: Record<string, unknown>): unknown;
  };
};

const FIXTURE = fileURLToPath(new URL('./fixtures/cdk8s-app', import.meta.url));
const environment = goTestEnvironment();

/** Two charts: web (Deployment + Service) and worker, which uses web's image too. Counts constructions. */
function defineApp(props: Record<string, unknown>, constructed: { count: number }) {
  const app = new cdk8s.App(props);
  const web = new cdk8s.Chart(app, 'web');
  constructed.count++;
  const deployment = new kplus.Deployment(web, 'web', {
    containers: [
      { image: 'ko://example.com/cdk8sapp/cmd/web', portNumber: 8080, securityContext: { ensureNonRoot: false } },
    ],
  });
  deployment.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  const worker = new cdk8s.Chart(app, 'worker');
  new kplus.Deployment(worker, 'worker', {
    containers: [
      { image: 'ko://example.com/cdk8sapp/cmd/worker', securityContext: { ensureNonRoot: false } },
      { name: 'sidecar', image: 'ko://example.com/cdk8sapp/cmd/web', securityContext: { ensureNonRoot: false } },
    ],
  });
  return app;
}

const imagesIn = (text: string) => [...text.matchAll(/image: (\S+)/g)].map((m) => m[1]!);

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('CDK8s in one call: synthApp() and resolveApp() with real cdk8s and cdk8s-plus charts', () => {
  let registry: TestRegistry;
  let kube: FakeKubeApi;
  let work: string;
  let base: string;
  before(async () => {
    [registry, kube] = await Promise.all([startRegistry('plain'), startFakeKubeApi()]);
    work = await mkdtemp(join(tmpdir(), 'tsko-cdk8s-app-'));
    base = `${registry.host}/base/empty:1`;
    await pushImage(ImageIndex.create([{ image: emptyImage({ os: 'linux', architecture: 'amd64' }) }]), base, {
      env: { HOME: '/nonexistent' },
    });
  });
  after(async () => {
    await kube?.close();
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const options = () => ({
    dir: FIXTURE,
    repo: `${registry.host}/cdk8s`,
    baseImage: base,
    platforms: ['linux/amd64'],
    environment,
  });

  it('synthesizes once, builds each reference once and in parallel, and writes what cdk8s synth writes with the images named', async () => {
    const outdir = join(work, 'dist');
    const constructed = { count: 0 };
    const events: { type: string; importPath?: string }[] = [];
    const result = await synthApp(defineApp({ outdir }, constructed), {
      ...options(),
      onEvent: (e) => events.push(e as { type: string; importPath?: string }),
    });
    assert.equal(constructed.count, 1, 'charts are constructed once');
    assert.deepEqual(result.files, ['web.k8s.yaml', 'worker.k8s.yaml']);
    assert.deepEqual((await readdir(outdir)).sort(), result.files);

    const starts = events.filter((e) => e.type === 'build:start').map((e) => e.importPath);
    assert.deepEqual(starts.sort(), ['example.com/cdk8sapp/cmd/web', 'example.com/cdk8sapp/cmd/worker']);
    const firstDone = events.findIndex((e) => e.type === 'build:done');
    assert.equal(
      events.slice(0, firstDone).filter((e) => e.type === 'build:start').length,
      2,
      'both builds start before either ends',
    );

    // The same app synthesized by cdk8s itself, with the images written in: byte for byte equal.
    const expectedDir = join(work, 'expected');
    const expected = defineApp({ outdir: expectedDir, resolvers: [koResolver(result.images)] }, { count: 0 });
    expected.synth();
    for (const file of result.files) {
      assert.equal(await readFile(join(outdir, file), 'utf8'), await readFile(join(expectedDir, file), 'utf8'), file);
    }

    const web = await readFile(join(outdir, 'web.k8s.yaml'), 'utf8');
    const [image] = imagesIn(web);
    assert.match(image!, new RegExp(`^${registry.host}/cdk8s/web-[0-9a-f]{32}@sha256:[0-9a-f]{64}$`));
    assert.equal(
      sha256(await skopeoRaw(registry, image!)),
      image!.split('@')[1],
      'the pinned image is in the registry',
    );
    const kinds = (result.objects as { kind: string }[]).map((o) => o.kind);
    assert.deepEqual(kinds, ['Deployment', 'Service', 'Deployment']);
    assert.ok(!JSON.stringify(result.objects).includes('ko://'));
  });

  it('keeps cdk8s file naming for the other output types (file per resource, folder per chart)', async () => {
    for (const type of ['FILE_PER_RESOURCE', 'FOLDER_PER_CHART_FILE_PER_RESOURCE', 'FILE_PER_APP'] as const) {
      const outdir = join(work, type);
      const props = { outdir, yamlOutputType: cdk8s.YamlOutputType[type] };
      const result = await synthApp(defineApp(props, { count: 0 }), options());
      const expectedDir = join(work, `${type}-expected`);
      defineApp({ ...props, outdir: expectedDir, resolvers: [koResolver(result.images)] }, { count: 0 }).synth();
      const expectedFiles = (await readdir(expectedDir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(expectedDir.length + 1))
        .sort();
      assert.deepEqual(result.files, expectedFiles, type);
      for (const file of result.files) {
        assert.equal(await readFile(join(outdir, file), 'utf8'), await readFile(join(expectedDir, file), 'utf8'));
      }
    }
  });

  it('the written dist/ applies with the real kubectl: the Deployment and Service are created, digest-pinned', async () => {
    const outdir = join(work, 'apply');
    await synthApp(defineApp({ outdir }, { count: 0 }), options());
    const applied = await kubectl(['apply', '-f', outdir, ...kube.kubectlArgs, '--validate=false']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /service\/web-service-\S+ created/);
    assert.match(applied.stdout, /deployment\.apps\/web-\S+ created/);
    assert.match(applied.stdout, /deployment\.apps\/worker-\S+ created/);
    const stored = [...kube.objects.entries()].filter(([key]) => key.startsWith('apps/v1/default/deployments/'));
    assert.equal(stored.length, 2);
    for (const [, object] of stored) {
      const containers = (object as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template
        .spec.containers;
      for (const c of containers) assert.match(c.image, /@sha256:[0-9a-f]{64}$/);
    }
  });

  it('resolveApp() returns the resolved YAML and objects in memory and writes nothing', async () => {
    const outdir = join(work, 'never-written');
    const { yaml, objects, images } = await resolveApp(defineApp({ outdir }, { count: 0 }), options());
    assert.equal(images.size, 2);
    assert.equal(imagesIn(yaml).length, 3);
    for (const image of imagesIn(yaml)) assert.ok([...images.values()].includes(image));
    assert.equal(objects.length, 3);
    await assert.rejects(readdir(outdir), { code: 'ENOENT' });
  });

  it('a failed build is a TskoError naming the reference and its file, and leaves dist/ unwritten', async () => {
    const outdir = join(work, 'failed');
    const app = new cdk8s.App({ outdir });
    const chart = new cdk8s.Chart(app, 'broken');
    new kplus.Deployment(chart, 'nope', {
      containers: [{ image: 'ko://example.com/cdk8sapp/cmd/nope', securityContext: { ensureNonRoot: false } }],
    });
    await assert.rejects(synthApp(app, options()), (err: unknown) => {
      // Every failing reference is listed in one error; each keeps its own code.
      assert.ok(isTskoError(err, 'TSKO_RESOLVE_FAILED'), String(err));
      assert.deepEqual(
        err.errors?.map((e) => e.code),
        ['TSKO_NOT_MAIN'],
      );
      assert.match(err.message, /ko:\/\/example\.com\/cdk8sapp\/cmd\/nope \(used at .*broken\.k8s\.yaml:\d+\)/);
      return true;
    });
    await assert.rejects(readdir(outdir), { code: 'ENOENT' });
  });

  it('refuses something that is not a cdk8s App', async () => {
    await assert.rejects(synthApp({} as Cdk8sAppLike), (err: unknown) => isTskoError(err, 'TSKO_INVALID_ARGUMENT'));
  });
});
