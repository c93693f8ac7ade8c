import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTskoError, resolveManifests } from '@tsko/resolve';
import { goTestEnvironment } from '@tsko/test-rig';

// A module with one main package, one library and no cmd/missing: two of the three
// references below fail in the real `go list`, one builds.
const GO_MOD = 'module example.com/fail\n\ngo 1.19\n';
const MAIN = 'package main\n\nfunc main() {}\n';
const LIB = '// A library: ko refuses to build it into an image.\npackage lib\n';
const A_YAML = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata: {name: a}',
  'spec:',
  '  containers:',
  '    - name: ok',
  '      image: ko://example.com/fail/cmd/ok',
  '    - name: lib',
  '      image: ko://example.com/fail/lib',
  '',
].join('\n');
const B_YAML = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata: {name: b}',
  'spec:',
  '  containers:',
  '    - name: missing',
  '      image: ko://example.com/fail/cmd/missing',
  '  initContainers:',
  '    - name: again',
  '      image: ko://example.com/fail/lib',
  '',
].join('\n');

describe('resolveManifests reports every reference that fails, not the first', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsko-resolve-failures-'));
    await mkdir(join(dir, 'cmd', 'ok'), { recursive: true });
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'go.mod'), GO_MOD);
    await writeFile(join(dir, 'cmd', 'ok', 'main.go'), MAIN);
    await writeFile(join(dir, 'lib', 'lib.go'), LIB);
    await writeFile(join(dir, 'a.yaml'), A_YAML);
    await writeFile(join(dir, 'b.yaml'), B_YAML);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lists both failing references with their file:line, each failure in errors[]', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    await assert.rejects(
      resolveManifests(
        { files: [a, b] },
        { dir, push: false, baseImage: 'scratch', platforms: ['linux/amd64'], environment: goTestEnvironment() },
      ),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_RESOLVE_FAILED'), String(err));
        assert.match(err.message, /^2 of 3 ko:\/\/ references could not be built:/);
        // In the order the references first appear, whatever order the builds finished in.
        assert.deepEqual(
          err.details?.failures?.map((f) => [f.reference, f.locations]),
          [
            ['ko://example.com/fail/lib', [`${a}:9`, `${b}:10`]],
            ['ko://example.com/fail/cmd/missing', [`${b}:7`]],
          ],
        );
        assert.equal(err.errors?.length, 2);
        for (const [i, failure] of (err.errors ?? []).entries()) {
          // Each keeps the code go list's answer gave it, and the aggregate's message quotes it.
          assert.equal(failure.code, 'TSKO_NOT_MAIN', failure.message);
          assert.equal(err.details?.failures?.[i]?.code, failure.code);
          assert.ok(err.message.includes(failure.message), `${failure.message} in ${err.message}`);
        }
        assert.match(err.message, new RegExp(`ko://example\\.com/fail/lib \\(used at ${a}:9, ${b}:10\\)`));
        assert.match(err.message, new RegExp(`ko://example\\.com/fail/cmd/missing \\(used at ${b}:7\\)`));
        assert.doesNotMatch(err.message, /cmd\/ok \(used/);
        return true;
      },
    );
  });
});
