// Builds the rig's Go tools ahead of the tests (scripts/setup.sh --test runs this), so the
// cold cost shows up once, timed, instead of inside the first test that needs them.
import { ensureKo, ensureReferrersRegistry, KO_VERSION } from './go-tools.js';
import { ensurePulumiCli, PULUMI_CLI_VERSION } from './pulumi-cli.js';

for (const [name, install] of [
  [`ko ${KO_VERSION}`, ensureKo],
  ['referrers registry', ensureReferrersRegistry],
  // The longest cold build (tens of minutes on two cores): here, not inside a test's hook.
  [`pulumi CLI ${PULUMI_CLI_VERSION}`, ensurePulumiCli],
] as const) {
  const started = Date.now();
  const path = await install();
  console.log(`rig: ${name} at ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
