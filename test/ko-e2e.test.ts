// ko's own e2e workflow (github.com/ko-build/ko .github/workflows/e2e.yaml, the Linux job),
// step by step, against tsko: a stand-in for ko's test/ program (fixtures/ko, written for
// tsko: it checks the same behaviours, see fixtures/ko/test/main.go) is built, pushed to a real
// registry and run under podman. Not applicable: `ko build ./` of ko itself (ko's own source is
// not here), `--debug` (tsko has no delve option), the windows-latest job (Windows bases are not
// built yet).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { publish, type PublishOptions } from '@tsko/core';
import { appendLayers, emptyImage, ImageIndex, pushImage, withContainerConfig, type Platform } from '@tsko/registry';
import { resolveManifests } from '@tsko/resolve';
import {
  goTestEnvironment,
  run as exec,
  startPodman,
  startRegistry,
  tarLayer,
  type Podman,
  type TestRegistry,
} from '@tsko/test-rig';

const KO_FIXTURE = fileURLToPath(new URL('./fixtures/ko', import.meta.url));
const IMPORT_PATH = 'github.com/google/ko/test';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A base that provides tzdata, as ko's default base does: test/main.go loads America/New_York. */
async function tzdataBase(platform: Platform) {
  const layer = await tarLayer({
    'usr/share/zoneinfo/America/New_York': readFileSync('/usr/share/zoneinfo/America/New_York'),
  });
  return withContainerConfig(
    appendLayers(emptyImage(platform), [{ layer, history: { created_by: 'tzdata for ko e2e' } }]),
    (c) => ({ ...c, Env: ['PATH=/usr/bin:/bin'] }),
  );
}

describe(".github/workflows/e2e.yaml (ko build of ko's test/ program)", () => {
  let registry: TestRegistry;
  let podman: Podman;
  let work: string;
  let app: string;
  let base: string;
  before(async () => {
    registry = await startRegistry('plain');
    podman = await startPodman([registry.host]);
    work = await mkdtemp(join(tmpdir(), 'tsko-ko-e2e-'));
    app = join(work, 'ko');
    await cp(KO_FIXTURE, app, { recursive: true, verbatimSymlinks: true });
    // Three platforms, so that linux/amd64,linux/arm64 is "a subset of what's in the base".
    const platforms: Platform[] = [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ];
    base = `${registry.host}/base/tzdata:latest`;
    await pushImage(
      ImageIndex.create(await Promise.all(platforms.map(async (p) => ({ image: await tzdataBase(p) })))),
      base,
      { env: { HOME: '/nonexistent' } },
    );
  });
  after(async () => {
    await podman?.cleanup();
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  // KO_DOCKER_REPO="" unless a step sets it, as in the workflow.
  const options = (extra: PublishOptions = {}, env: NodeJS.ProcessEnv = {}): PublishOptions => ({
    dir: app,
    baseImage: base,
    environment: goTestEnvironment({ KO_DOCKER_REPO: '', ...env }),
    ...extra,
  });
  const run = async (image: string, args: string[]) => {
    const r = await exec('podman', ['run', '--rm', '--network=host', image, ...args], {
      env: podman.env,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, `podman run ${image} ${args.join(' ')}: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
  };

  it('building without push prints the tag (and sha): :latest@sha256:, :test@sha256:, and :test with --tag-only', async () => {
    const name = `test-${md5(IMPORT_PATH)}`;
    const latest = await publish('./test', options({ push: false }));
    assert.equal(latest.ref, `${name}:latest@${latest.digest}`);
    const tagged = await publish('./test', options({ push: false, tags: ['test'] }));
    assert.match(tagged.ref, /:test@sha256:[0-9a-f]{64}$/);
    const tagOnly = await publish('./test', options({ push: false, tags: ['test'], tagOnly: true }));
    assert.equal(tagOnly.ref, `${name}:test`);
  });

  it('--sbom-dir writes test-linux-amd64.spdx.json, and for multi-arch also test-index.spdx.json and test-linux-arm64.spdx.json', async () => {
    const one = join(work, 'sbom-data');
    await publish('./test', options({ push: false, tags: ['test'], sbomDir: one }));
    assert.deepEqual(await readdir(one), ['test-linux-amd64.spdx.json']);
    JSON.parse(await readFile(join(one, 'test-linux-amd64.spdx.json'), 'utf8'));
    const two = join(work, 'sbom-data2');
    await publish(
      './test',
      options({ push: false, tags: ['test'], platforms: ['linux/amd64', 'linux/arm64'], sbomDir: two }),
    );
    assert.deepEqual((await readdir(two)).sort(), [
      'test-index.spdx.json',
      'test-linux-amd64.spdx.json',
      'test-linux-arm64.spdx.json',
    ]);
    const index = JSON.parse(await readFile(join(two, 'test-index.spdx.json'), 'utf8')) as {
      relationships: { relationshipType: string }[];
    };
    assert.ok(index.relationships.some((r) => r.relationshipType === 'VARIANT_OF'));
  });

  it('the test/ image (preserve-import-paths, two of the base\'s platforms) logs "Hello there" from KO_DATA_PATH, with tzdata from the base, and chases kodata symlinks (-f b)', async () => {
    const result = await publish(
      './test',
      options(
        { platforms: ['linux/amd64', 'linux/arm64'], naming: 'preserveImportPaths' },
        { KO_DOCKER_REPO: `${registry.host}/e2e` },
      ),
    );
    assert.equal(result.ref, `${registry.host}/e2e/${IMPORT_PATH}@${result.digest}`);
    assert.deepEqual(
      result.platforms.map((p) => p.platform),
      ['linux/amd64', 'linux/arm64'],
    );
    const out = await run(result.ref, ['--wait=false']);
    assert.match(out, /Hello there/);
    assert.match(out, /New York Time: /);
    assert.match(out, /version = default/);
    assert.match(await run(result.ref, ['--wait=false', '-f', 'b']), /^hello$/m);
    assert.match(await run(result.ref, ['--wait=false', '-f', 'subdir/file.txt']), /subdir file content/);
  });

  it('ldflags from a .ko.yaml build (id: test, main: ./test/) set main.version', async () => {
    const sha = createHash('sha1').update('tsko').digest('hex');
    await writeFile(
      join(app, '.ko.yaml'),
      `builds:\n- id: test\n  main: ./test/\n  ldflags:\n  - "-X main.version=${sha}"\n`,
    );
    try {
      const result = await publish(
        './test/',
        options({ platforms: ['linux/amd64', 'linux/arm64'] }, { KO_DOCKER_REPO: `${registry.host}/e2e` }),
      );
      assert.match(await run(result.ref, ['--wait=false']), new RegExp(`version = ${sha}`));
    } finally {
      await rm(join(app, '.ko.yaml'));
    }
  });

  it('test/test.yaml resolves to the pushed image, and --image-refs lists the index and its images', async () => {
    const refs = join(work, 'refs.txt');
    const text = await readFile(join(app, 'test', 'test.yaml'), 'utf8');
    const out = await resolveManifests(text, {
      ...options(
        { platforms: ['linux/amd64', 'linux/arm64'], imageRefsFile: refs },
        { KO_DOCKER_REPO: `${registry.host}/e2e` },
      ),
    });
    const pod = parseAllDocuments(out)[0]!.toJS() as { spec: { containers: { image: string; args: string[] }[] } };
    const image = pod.spec.containers[0]!.image;
    assert.match(image, new RegExp(`^${registry.host}/e2e/test-${md5(IMPORT_PATH)}@sha256:[0-9a-f]{64}$`));
    assert.deepEqual(pod.spec.containers[0]!.args, ['--wait=true']);
    assert.match(out, /^# The pod ko's e2e workflow resolves/, 'comments are kept');
    const lines = (await readFile(refs, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], image);
    assert.match(await run(lines[1]!, ['--wait=false']), /Hello there/);
  });
});
