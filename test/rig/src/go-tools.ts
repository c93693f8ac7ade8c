import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goTestEnvironment, rigGoDir } from './go-env.js';
import { runOk } from './process.js';

/**
 * The ko release the tests compare tsko against. v0.19.1 is the newest release on the module
 * proxy and builds with Go 1.26 (`go install github.com/google/ko@v0.19.1`).
 */
export const KO_VERSION = 'v0.19.1';

const REFERRERS_REGISTRY_SRC = fileURLToPath(new URL('../go/referrers-registry', import.meta.url));

/**
 * Builds into a temporary name and renames into place, so two test files that both find the
 * tool missing never see a half-written binary (the second build is wasted, not harmful).
 */
async function installOnce(final: string, build: (outDir: string) => Promise<string>): Promise<string> {
  if (existsSync(final)) return final;
  const outDir = `${final}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(outDir, { recursive: true });
  try {
    const built = await build(outDir);
    await rename(built, final);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return final;
}

/** `ko` at KO_VERSION, go-installed from the module proxy into the rig's folder on first use. */
export async function ensureKo(): Promise<string> {
  const binDir = join(rigGoDir(), 'bin');
  await mkdir(binDir, { recursive: true });
  return installOnce(join(binDir, `ko-${KO_VERSION}`), async (outDir) => {
    await runOk('go', ['install', `github.com/google/ko@${KO_VERSION}`], {
      env: goTestEnvironment({ GOBIN: outDir }),
      timeoutMs: 1_200_000,
    });
    return join(outDir, 'ko');
  });
}

/**
 * The referrers registry (test/rig/go/referrers-registry), built from its pinned go.mod and
 * go.sum; the binary's name carries a hash of those sources so an edit rebuilds it.
 */
export async function ensureReferrersRegistry(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(await readFile(join(REFERRERS_REGISTRY_SRC, f)));
  const binDir = join(rigGoDir(), 'bin');
  await mkdir(binDir, { recursive: true });
  return installOnce(join(binDir, `referrers-registry-${hash.digest('hex').slice(0, 12)}`), async (outDir) => {
    const out = join(outDir, 'referrers-registry');
    await runOk('go', ['build', '-trimpath', '-o', out, '.'], {
      cwd: REFERRERS_REGISTRY_SRC,
      env: goTestEnvironment(),
      timeoutMs: 1_200_000,
    });
    return out;
  });
}
