import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { KoImage } from '@tsko/core/pulumi';
import { emptyImage, ImageIndex, pushImage, sha256 } from '@tsko/registry';
import {
  ensurePulumiCli,
  goTestEnvironment,
  skopeoRaw,
  startRegistry,
  TEST_PASSWORD,
  TEST_USER,
  type TestRegistry,
} from '@tsko/test-rig';

// KoImage under the real Pulumi engine: the CLI built from the module proxy (see the rig's
// ensurePulumiCli), a local file backend, and inline programs run by the Automation API (the
// test process is the language runtime). The dynamic provider runs in Pulumi's own provider
// process, loading KoImage's operations from the installed package.
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/cdk8s-app', import.meta.url));
const KO_IMAGE = 'pulumi-nodejs:dynamic/tsko:KoImage';
const SDK_DIR = dirname(createRequire(import.meta.url).resolve('@pulumi/pulumi/package.json'));

type EngineEvent = pulumi.automation.EngineEvent;

describe('KoImage with the real Pulumi engine: preview, up, stack output, destroy', () => {
  let target: TestRegistry;
  let bases: TestRegistry;
  let base: string;
  let work: string;
  let workspaceOptions: pulumi.automation.LocalWorkspaceOptions;
  before(async () => {
    const [root, t, b] = await Promise.all([ensurePulumiCli(), startRegistry('htpasswd'), startRegistry('plain')]);
    [target, bases] = [t, b];
    base = `${bases.host}/base/empty:1`;
    await pushImage(ImageIndex.create([{ image: emptyImage({ os: 'linux', architecture: 'amd64' }) }]), base, {
      env: { HOME: '/nonexistent' },
    });
    // Under the repository, so Pulumi's provider process finds @pulumi/pulumi from its cwd.
    await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
    work = await mkdtemp(join(REPO_ROOT, '.tmp', 'pulumi-engine-'));
    await mkdir(join(work, 'state'));
    const pulumiCommand = await pulumi.automation.PulumiCommand.get({ root, skipVersionCheck: true });
    workspaceOptions = {
      workDir: work,
      pulumiCommand,
      envVars: {
        ...(goTestEnvironment() as Record<string, string>),
        PATH: `${SDK_DIR}:${process.env.PATH}`,
        PULUMI_HOME: join(work, 'home'),
        PULUMI_BACKEND_URL: `file://${join(work, 'state')}`,
        PULUMI_CONFIG_PASSPHRASE: 'engine test passphrase',
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
      },
    };
  });
  after(async () => {
    await target?.stop();
    await bases?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const login = () => ({ address: target.host, username: TEST_USER, password: pulumi.secret(TEST_PASSWORD) });
  const imageArgs = (importPath: string) => ({
    importPath,
    dir: FIXTURE,
    repo: `${target.host}/engine`,
    baseImage: base,
    platforms: ['linux/amd64'],
    registries: [login()],
  });

  const stackFor = (name: string, program: pulumi.automation.PulumiFn) =>
    pulumi.automation.LocalWorkspace.createOrSelectStack(
      { stackName: name, projectName: 'tsko-engine', program },
      { ...workspaceOptions, projectSettings: { name: 'tsko-engine', runtime: 'nodejs' } },
    );

  /** The KoImage properties the engine reported for `name` in a preview or update. */
  const reported = (events: EngineEvent[], name: string) =>
    events
      .map((e) => e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata)
      .filter((m) => m?.type === KO_IMAGE && m.urn.endsWith(`::${name}`))
      .map((m) => ({ ...m!.new?.inputs, ...m!.new?.outputs }) as Record<string, unknown>);

  const writes = async () => (await target.requests()).filter((r) => r.method !== 'GET' && r.method !== 'HEAD');

  it('previews the exact digest without pushing, pushes that digest on up, keeps the password secret, and destroys without touching the registry', async () => {
    const stack = await stackFor('main', async () => {
      const web = new KoImage('web', imageArgs('./cmd/web'));
      const worker = new KoImage('worker', imageArgs('./cmd/worker'), { dependsOn: [web] });
      return {
        ref: web.ref,
        digest: web.digest,
        platforms: web.platforms,
        repository: web.repository,
        worker: worker.ref,
      };
    });

    const previewEvents: EngineEvent[] = [];
    const preview = await stack.preview({ onEvent: (e) => previewEvents.push(e) });
    assert.equal(preview.changeSummary.create, 3, preview.stdout);
    const previewed = reported(previewEvents, 'web').find((p) => typeof p.digest === 'string');
    assert.match(String(previewed?.digest), /^sha256:[0-9a-f]{64}$/, 'the preview shows the digest');
    assert.deepEqual(await writes(), [], 'a preview writes nothing to the registry');

    const up = await stack.up();
    assert.equal(up.summary.result, 'succeeded');
    assert.equal(up.outputs.digest!.value, previewed!.digest, 'up pushes the digest the preview showed');
    const ref = String(up.outputs.ref!.value);
    assert.equal(ref, `${target.host}/engine/web-${ref.split('/engine/web-')[1]!.split('@')[0]}@${previewed!.digest}`);
    assert.equal(previewed!.ref, ref);
    assert.equal(sha256(await skopeoRaw(target, ref)), up.outputs.digest!.value, 'the image is in the registry');
    assert.deepEqual(up.outputs.platforms!.value, ['linux/amd64']);

    // `pulumi stack output`, through the CLI.
    const outputs = await stack.outputs();
    assert.equal(outputs.ref!.value, ref);

    // The state file itself (Automation API's exportStack shows secrets decrypted): the
    // password only as ciphertext.
    const stateFile = join(work, 'state', '.pulumi', 'stacks', 'tsko-engine', 'main.json');
    const stored = await readFile(stateFile, 'utf8');
    assert.ok(!stored.includes(TEST_PASSWORD), 'the registry password is not in the state file in clear text');
    assert.match(
      stored,
      /"registries":\s*\{\s*"4dabf18193072939515e22adb298388d":\s*"1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/,
    );
    const resources = (await stack.exportStack()).deployment.resources as {
      urn: string;
      type: string;
      dependencies?: string[];
      outputs?: Record<string, unknown>;
    }[];
    const web = resources.find((r) => r.type === KO_IMAGE && r.urn.endsWith('::web'))!;
    const worker = resources.find((r) => r.type === KO_IMAGE && r.urn.endsWith('::worker'))!;
    assert.deepEqual(worker.dependencies, [web.urn]);

    const refreshed = await stack.refresh();
    assert.equal(refreshed.summary.result, 'succeeded');

    // Nothing changed: the second up builds (cache) and changes nothing.
    const again = await stack.up();
    assert.deepEqual(again.summary.resourceChanges, { same: 3 });

    const pushedBefore = (await writes()).length;
    const destroyed = await stack.destroy();
    assert.equal(destroyed.summary.result, 'succeeded');
    assert.equal((await writes()).length, pushedBefore, 'destroy leaves the registry alone');
    assert.equal(sha256(await skopeoRaw(target, ref)), up.outputs.digest!.value);
  });

  it('a failed build is an error of the KoImage resource, with the TskoError code and message', async () => {
    const stack = await stackFor('broken', async () => {
      const image = new KoImage('nope', imageArgs('./cmd/nope'));
      return { ref: image.ref };
    });
    const events: EngineEvent[] = [];
    await assert.rejects(stack.up({ onEvent: (e) => events.push(e) }), (err: Error) => {
      assert.match(err.message, /TSKO_NOT_MAIN/);
      return true;
    });
    const diagnostics = events.map((e) => e.diagnosticEvent).filter((d) => d?.severity === 'error');
    const own = diagnostics.find((d) => d?.urn?.endsWith(`${KO_IMAGE}::nope`));
    assert.ok(own, `an error diagnostic on the KoImage: ${JSON.stringify(diagnostics)}`);
    assert.match(own!.message, /TSKO_NOT_MAIN: .*cmd\/nope/);
  });

  it('with buildOnPreview: false a preview builds nothing and shows no digest', async () => {
    const stack = await stackFor('lazy', async () => {
      const image = new KoImage('lazy', { ...imageArgs('./cmd/worker'), buildOnPreview: false });
      return { ref: image.ref };
    });
    const events: EngineEvent[] = [];
    await stack.preview({ onEvent: (e) => events.push(e) });
    const shown = reported(events, 'lazy');
    assert.ok(shown.length > 0);
    for (const p of shown) assert.equal(p.digest, undefined);
  });
});
