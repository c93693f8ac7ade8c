import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { apply, create, deleteManifests, isTskoError, resolveManifests } from '@tsko/resolve';
import { pushImage, ImageIndex, emptyImage } from '@tsko/registry';
import {
  goTestEnvironment,
  startFakeKubeApi,
  startPodman,
  startRegistry,
  type FakeKubeApi,
  type Podman,
  type TestRegistry,
} from '@tsko/test-rig';

const SITE = fileURLToPath(new URL('./fixtures/site', import.meta.url));
const environment = goTestEnvironment();

describe('ko resolve and ko apply, end to end', () => {
  let registry: TestRegistry;
  let podman: Podman;
  let kube: FakeKubeApi;
  let base: string;
  before(async () => {
    [registry, kube] = await Promise.all([startRegistry('plain'), startFakeKubeApi()]);
    podman = await startPodman([registry.host]);
    // An empty two-platform base in the registry: the image needs nothing but its binary.
    base = `${registry.host}/base/empty:1`;
    await pushImage(
      ImageIndex.create([
        { image: emptyImage({ os: 'linux', architecture: 'amd64' }) },
        { image: emptyImage({ os: 'linux', architecture: 'arm64' }) },
      ]),
      base,
      { env: { HOME: '/nonexistent' } },
    );
  });
  after(async () => {
    await podman?.cleanup();
    await kube?.close();
    await registry?.stop();
  });

  const options = () => ({
    dir: SITE,
    repo: `${registry.host}/site`,
    baseImage: base,
    platforms: ['linux/amd64'],
    environment,
  });

  it('resolves a config/ folder against the real registry, and the pinned image runs under podman', async () => {
    const out = await resolveManifests({ files: [join(SITE, 'config')] }, options());
    assert.match(out, /# built and pinned by tsko/);
    const docs = parseAllDocuments(out).map((d) => d.toJS()) as {
      kind: string;
      spec: { template?: { spec: { containers: { image: string }[] } } };
    }[];
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['Deployment', 'Service'],
    );
    const image = docs[0]!.spec.template!.spec.containers[0]!.image;
    assert.match(image, new RegExp(`^${registry.host}/site/hello-[0-9a-f]{32}@sha256:[0-9a-f]{64}$`));
    assert.equal(await podman.runAndFetch(image), 'hello from a resolved manifest\n');
  });

  it('applies twice through the real kubectl: created, then unchanged; the stored Deployment is digest-pinned', async () => {
    const first = await apply(
      { files: [join(SITE, 'config')] },
      { ...options(), kubectlArgs: [...kube.kubectlArgs, '--validate=false'] },
    );
    assert.equal(first.exitCode, 0);
    assert.match(first.stdout, /deployment\.apps\/hello created/);
    assert.match(first.stdout, /service\/hello created/);
    const second = await apply(
      { files: [join(SITE, 'config')] },
      { ...options(), kubectlArgs: [...kube.kubectlArgs, '--validate=false'] },
    );
    assert.match(second.stdout, /deployment\.apps\/hello unchanged/);
    const stored = kube.objects.get('apps/v1/default/deployments/hello') as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.match(stored.spec.template.spec.containers[0]!.image, /@sha256:[0-9a-f]{64}$/);
    const removed = await deleteManifests({ files: [join(SITE, 'config')] }, { kubectlArgs: kube.kubectlArgs });
    assert.match(removed.stdout, /deployment\.apps "hello" deleted/);
    assert.equal(kube.objects.size, 0);
  });

  it("creates through kubectl create, and a second create fails with kubectl's own message", async () => {
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec: {containers: [{name: c, image: ko://example.com/site/cmd/hello}]}\n';
    const build = async () => `registry.example.com/hello@sha256:${'c'.repeat(64)}`;
    const created = await create(pod, { build, kubectlArgs: [...kube.kubectlArgs, '--validate=false'] });
    assert.match(created.stdout, /pod\/once created/);
    assert.match(created.manifests, /image: registry\.example\.com\/hello@sha256:c{64}/);
    await assert.rejects(
      create(pod, { build, kubectlArgs: [...kube.kubectlArgs, '--validate=false'] }),
      (err: unknown) => isTskoError(err, 'TSKO_KUBECTL_FAILED') && /AlreadyExists/.test(err.message),
    );
  });

  it("returns kubectl's failure with its stderr and exit status", async () => {
    await assert.rejects(
      apply('apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n', {
        kubectlArgs: [...kube.kubectlArgs, '--validate=false', '--no-such-flag'],
        build: async () => 'unused',
      }),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_KUBECTL_FAILED'));
        assert.match(err.message, /unknown flag: --no-such-flag/);
        assert.equal(err.details?.exitCode, 1);
        return true;
      },
    );
  });

  it('says so when kubectl is missing', async () => {
    await assert.rejects(
      apply('a: b\n', { kubectl: '/nonexistent/kubectl', build: async () => 'unused' }),
      (err: unknown) => isTskoError(err, 'TSKO_KUBECTL_NOT_FOUND'),
    );
  });

  it('names the file and line of a ko:// reference that is not a main package', async () => {
    await assert.rejects(
      resolveManifests('# line 1\nimage: ko://example.com/site/nope\n', { ...options(), push: false }),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_RESOLVE_FAILED'), String(err));
        assert.equal(err.errors?.[0]?.code, 'TSKO_NOT_MAIN');
        assert.match(err.message, /ko:\/\/example\.com\/site\/nope \(used at <input>:2\)/);
        return true;
      },
    );
  });
});
