import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { emptyImage, ImageIndex, pushImage, sha256 } from '@tsko/registry';
import { goTestEnvironment, run, skopeoRaw, startRegistry, type TestRegistry } from '@tsko/test-rig';

const examples = fileURLToPath(new URL('../examples', import.meta.url));

describe('the integration examples run and pin images', () => {
  let registry: TestRegistry;
  let work: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    registry = await startRegistry('plain');
    work = await mkdtemp(join(tmpdir(), 'tsko-examples-'));
    const base = `${registry.host}/base/empty:1`;
    await pushImage(ImageIndex.create([{ image: emptyImage({ os: 'linux', architecture: 'amd64' }) }]), base, {
      env: { HOME: '/nonexistent' },
    });
    env = goTestEnvironment({ KO_DOCKER_REPO: `${registry.host}/examples`, TSKO_BASE_IMAGE: base });
  });
  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const imagesIn = (yamlText: string) =>
    parseAllDocuments(yamlText)
      .flatMap((d) => JSON.stringify(d.toJS()).match(/"image":"([^"]+)"/g) ?? [])
      .map((m) => m.slice(9, -1));

  it('the README demo builds two platforms into an OCI layout, and its skopeo hint reads the entry', async () => {
    const layout = join(work, 'demo-layout');
    const { KO_DOCKER_REPO: _unset, ...offline } = env;
    const r = await run(process.execPath, [join(examples, 'demo.mjs')], {
      env: { ...offline, TSKO_DEMO_LAYOUT: layout },
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const hint = /skopeo inspect --raw (oci:\S+)\)/.exec(r.stdout)?.[1];
    assert.ok(hint, `the demo prints a skopeo command:\n${r.stdout}`);
    const inspected = await run('skopeo', ['inspect', '--raw', hint]);
    assert.equal(inspected.code, 0, inspected.stderr);
    const index = JSON.parse(inspected.stdout) as { manifests: { platform: { architecture: string } }[] };
    assert.deepEqual(
      index.manifests.map((m) => m.platform.architecture),
      ['amd64', 'arm64'],
    );
    const pinned = /^(\S+@sha256:[0-9a-f]{64})$/m.exec(r.stdout)?.[1];
    assert.equal(
      sha256(Buffer.from(inspected.stdout)),
      pinned?.split('@')[1],
      'the printed reference pins the layout entry',
    );
  });

  it('CDK8s: the synthesized YAML holds the digest-pinned image', async () => {
    const outdir = join(work, 'cdk8s');
    const r = await run(process.execPath, ['main.mjs'], {
      cwd: join(examples, 'cdk8s'),
      env: { ...env, CDK8S_OUTDIR: outdir },
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const images = imagesIn(await readFile(join(outdir, 'hello.k8s.yaml'), 'utf8'));
    assert.equal(images.length, 1);
    assert.match(images[0]!, new RegExp(`^${registry.host}/examples/hello-[0-9a-f]{32}@sha256:[0-9a-f]{64}$`));
    assert.equal(
      sha256(await skopeoRaw(registry, images[0]!)),
      images[0]!.split('@')[1],
      'the pinned image is in the registry',
    );
  });

  it('build script: resolves config/ and writes the pinned YAML', async () => {
    const out = join(work, 'resolved.yaml');
    const r = await run(process.execPath, ['resolve-config.mjs', out], {
      cwd: join(examples, 'build-script'),
      env,
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(out, 'utf8');
    assert.match(text, /# A Job that runs the hello example once\./);
    const [image] = imagesIn(text);
    assert.match(image!, /@sha256:[0-9a-f]{64}$/);
    await skopeoRaw(registry, image!);
  });

  it('Pulumi: KoImage shows on preview the digest that up pushes, and the Deployment takes its ref (Pulumi mocks)', async () => {
    // The program runs under Pulumi's unit-test mocks, with KoImage's dynamic provider
    // deserialized and run as the engine runs it (see test/pulumi/run-with-mocks.mjs). The image
    // is really built and pushed. test/pulumi-engine.test.ts runs KoImage under the real engine.
    const program = join(examples, 'pulumi', 'index.mjs');
    const runner = fileURLToPath(new URL('./pulumi/run-with-mocks.mjs', import.meta.url));
    const runProgram = async (mode: 'preview' | 'up') => {
      // A repository of its own: the CDK8s example pushes the same program (same digest).
      const r = await run(process.execPath, [runner, program, mode], {
        env: { ...env, KO_DOCKER_REPO: `${registry.host}/pulumi` },
        timeoutMs: 300_000,
      });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
        outputs: { imageRef: string; imageDigest: string };
        registered: { type: string; state: Record<string, unknown> }[];
      };
    };
    const preview = await runProgram('preview');
    const ref = preview.outputs.imageRef;
    assert.match(ref, new RegExp(`^${registry.host}/pulumi/hello-[0-9a-f]{32}@sha256:[0-9a-f]{64}$`));
    assert.equal(preview.outputs.imageDigest, ref.split('@')[1]);
    await assert.rejects(skopeoRaw(registry, ref), 'a preview pushes nothing');

    const up = await runProgram('up');
    assert.equal(up.outputs.imageRef, ref, 'up pushes the digest the preview showed');
    assert.equal(sha256(await skopeoRaw(registry, ref)), preview.outputs.imageDigest);
    const image = up.registered.find((c) => c.type === 'pulumi-nodejs:dynamic/tsko:KoImage');
    assert.deepEqual(image?.state.platforms, ['linux/amd64']);
    assert.deepEqual(image?.state.tags, ['latest']);
    assert.equal(image?.state.repository, ref.split('@')[0]);
    const deployment = up.registered.find((c) => c.type === 'kubernetes:apps/v1:Deployment');
    const spec = deployment?.state.spec as { template: { spec: { containers: { image: string }[] } } };
    assert.equal(spec.template.spec.containers[0]!.image, ref);
  });
});
