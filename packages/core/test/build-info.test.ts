// Build information read from the binary in JS must be exactly what `go version -m` prints,
// for every binary format and word size a ko image can hold. Real binaries, built by the real
// Go toolchain for each platform; `go version -m` is the oracle.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '@tsko/test-rig';
import { readBuildInfo } from '../src/go/build-info.js';
import { FIXTURE, testEnvironment } from './helpers.js';

describe('readBuildInfo matches go version -m', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'tsko-buildinfo-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  const goVersionM = async (file: string) => {
    const res = await run('go', ['version', '-m', file], { env: testEnvironment(), timeoutMs: 60_000 });
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  };

  // ELF little- and big-endian, 32- and 64-bit; PE; Mach-O.
  for (const [goos, goarch] of [
    ['linux', 'amd64'],
    ['linux', 'arm64'],
    ['linux', '386'],
    ['linux', 's390x'],
    ['windows', 'amd64'],
    ['darwin', 'arm64'],
  ] as const) {
    it(`${goos}/${goarch}`, async () => {
      const file = join(out, `server-${goos}-${goarch}`);
      const env = { ...testEnvironment(), GOOS: goos, GOARCH: goarch, CGO_ENABLED: '0' };
      const built = await run('go', ['build', '-trimpath', '-ldflags=-X main.version=v9', '-o', file, './cmd/server'], {
        cwd: FIXTURE,
        env,
        timeoutMs: 600_000,
      });
      assert.equal(built.code, 0, built.stderr);
      const ours = await readBuildInfo(file);
      assert.equal(ours, await goVersionM(file));
      assert.match(ours!, /\tpath\texample\.com\/app\/cmd\/server\n/);
      assert.match(ours!, /\tbuild\tGOOS=/);
    });
  }

  it('is undefined for a file that is not a Go binary, and for a truncated one', async () => {
    const text = join(out, 'not-go');
    await writeFile(text, '\x7fELF not really an executable\n'.repeat(100));
    assert.equal(await readBuildInfo(text), undefined);
    const truncated = join(out, 'truncated');
    await writeFile(truncated, Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.from([8, 2])]));
    assert.equal(await readBuildInfo(truncated), undefined);
  });
});
