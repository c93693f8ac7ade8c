// A CommonJS consumer, as CDK8s and Pulumi templates are: it reaches the ESM package through
// Node's require(esm) (unflagged since Node 20.19).
const registry = require('@tsko/registry');
const ref = registry.parseReference('nginx:1.27');
const image = registry.emptyImage({ os: 'linux', architecture: 'amd64' });
process.stdout.write(
  JSON.stringify({
    ref: registry.formatReference(ref),
    digest: image.digest,
    isError: registry.isTskoError(new registry.TskoError('TSKO_X', 'x')),
  }),
);
