import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isTskoError, readOciLayout, sha256, writeOciLayout } from '@tsko/registry';
import { layoutRefNames, runOk, runTsChild, testImage } from '@tsko/test-rig';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const child = (script: string, args: string[]) => runTsChild(fixture(script), args);

describe('OCI layout writers share index.json through a lock', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-layout-lock-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('writers in six processes keep every entry', async () => {
    const layout = join(work, 'processes');
    await Promise.all(Array.from({ length: 6 }, (_, p) => child('layout-writer.ts', [layout, `p${p}`, '5'])));
    const names = await layoutRefNames(layout);
    assert.equal(names.length, 30, names.join(', '));
    for (let p = 0; p < 6; p++) for (let i = 0; i < 5; i++) assert.ok(names.includes(`p${p}-${i}`));
    for (const name of ['p0-0', 'p5-4']) await runOk('skopeo', ['inspect', '--raw', `oci:${layout}:${name}`]);
  });

  it('a lock left by a process that died is taken over', async () => {
    const layout = join(work, 'stale');
    await writeOciLayout(layout, await testImage('first', undefined, 1), 'first');
    // pid 2^22+1 is above Linux's pid_max default, so no such process exists.
    await writeFile(join(layout, 'index.json.lock'), `4194305 ${hostname()} ${Date.now()}\n`);
    await writeOciLayout(layout, await testImage('second', undefined, 1), 'second');
    assert.deepEqual(await layoutRefNames(layout), ['first', 'second']);
  });
});

describe('a layout manifest cannot point outside blobs/', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsko-layout-escape-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function layoutWithManifest(configDigest: string): Promise<string> {
    const dir = await mkdtemp(join(root, 'l-'));
    // A file the traversal would reach: reading it would be a TSKO_DIGEST_MISMATCH, not a refusal.
    await writeFile(join(dir, 'x'), 'outside blobs');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: 13 },
        layers: [],
      }),
    );
    const digest = sha256(manifest);
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), manifest);
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest,
            size: manifest.length,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    );
    return dir;
  }

  for (const bad of ['sha256:../../x', `sha256:${'A'.repeat(64)}`, 'sha256:../../../../../../etc/passwd']) {
    it(`a config digest ${JSON.stringify(bad.slice(0, 24))} is TSKO_INVALID_MANIFEST before any file is read`, async () => {
      const dir = await layoutWithManifest(bad);
      await assert.rejects(
        readOciLayout(dir, 'v1'),
        (err: unknown) => isTskoError(err, 'TSKO_INVALID_MANIFEST') && /config\.digest/.test(err.message),
      );
      assert.equal(await readFile(join(dir, 'x'), 'utf8'), 'outside blobs');
    });
  }

  it('an index.json entry with a traversal digest is refused', async () => {
    const dir = await layoutWithManifest(sha256('{}'));
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: 'sha256:../../x',
            size: 13,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    );
    await assert.rejects(
      readOciLayout(dir, 'v1'),
      (err: unknown) =>
        isTskoError(err) && /digest/.test(String(err.message) + String((err.cause as Error | undefined)?.message)),
    );
  });
});
