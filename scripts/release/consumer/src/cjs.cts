// A CommonJS program (CDK8s and Pulumi templates are) reaches the ESM packages through Node's
// require(esm), unflagged since Node 20.19. TypeScript models that under `module: nodenext`
// (5.8+), so this file is checked there; `module: node16` models Node 16, which has no
// require(esm), and would rightly reject it.
import registry = require('@tsko/registry');
import core = require('@tsko/core');

export function describe(): string {
  const image = registry.emptyImage({ os: 'linux', architecture: 'arm64' });
  return `${image.digest} ${typeof core.publish}`;
}
