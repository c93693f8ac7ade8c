import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goTestEnvironment, rigGoDir } from './go-env.js';
import { runOk } from './process.js';

/** The pkg/v3 version test/rig/go/pulumi-cli/go.mod requires. */
export const PULUMI_CLI_VERSION = 'v3.248.0';

/** Pulumi's release builds link their version in; a plain `go build` leaves it empty. */
const LDFLAGS = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_CLI_VERSION}`;

const PULUMI_CLI_SRC = fileURLToPath(new URL('../go/pulumi-cli', import.meta.url));

/**
 * The Pulumi CLI (pkg/v3 as pinned in test/rig/go/pulumi-cli), built from the module proxy on
 * first use: no other way to get it runs here (its release binaries are downloads from outside
 * the package registries). A cold build takes tens of minutes on two cores; later runs reuse it.
 * Returns an install root in the layout the Automation API's `PulumiCommand.get({ root })`
 * wants (`<root>/bin/pulumi`). No Node.js language host is needed: the tests run inline
 * programs, whose language runtime is the test process itself.
 */
export async function ensurePulumiCli(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'tools.go']) hash.update(await readFile(join(PULUMI_CLI_SRC, f)));
  hash.update(LDFLAGS);
  const root = join(rigGoDir(), 'bin', `pulumi-${hash.digest('hex').slice(0, 12)}`);
  const binary = join(root, 'bin', 'pulumi');
  if (existsSync(binary)) return root;
  const tmp = `${root}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(join(tmp, 'bin'), { recursive: true });
  try {
    await runOk(
      'go',
      [
        'build',
        '-trimpath',
        `-ldflags=${LDFLAGS}`,
        '-o',
        join(tmp, 'bin', 'pulumi'),
        'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
      ],
      {
        cwd: PULUMI_CLI_SRC,
        env: goTestEnvironment(),
        timeoutMs: 3_600_000,
      },
    );
    // The Automation API refuses a CLI that cannot say its version ("Failed to get Pulumi version").
    const printed = (await runOk(join(tmp, 'bin', 'pulumi'), ['version'], { timeoutMs: 60_000 })).trim();
    if (printed !== PULUMI_CLI_VERSION)
      throw new Error(`the Pulumi CLI built says version "${printed}", not ${PULUMI_CLI_VERSION}`);
    await rename(tmp, root).catch(async (err: NodeJS.ErrnoException) => {
      // Another test file finished the same build first.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return root;
}
