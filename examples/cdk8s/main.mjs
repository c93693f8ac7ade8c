// CDK8s + tsko: charts are synthesized synchronously, but building images is async. So:
//   1. synthesize a draft and collect its ko:// references,
//   2. build and push them all (each once) with tsko,
//   3. synthesize for real with a resolver that swaps each ko:// for its digest-pinned image.
// Settings come from the environment: KO_DOCKER_REPO (required to push), TSKO_BASE_IMAGE
// (default: ko's base), CDK8S_OUTDIR (default: dist).
import { fileURLToPath } from 'node:url';
import { ApiObject, App, Chart } from 'cdk8s';
import { findReferences, koResolver, resolveReferences } from '@tsko/resolve';

class HelloChart extends Chart {
  constructor(scope, id) {
    super(scope, id);
    new ApiObject(this, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hello' },
      spec: {
        selector: { matchLabels: { app: 'hello' } },
        template: {
          metadata: { labels: { app: 'hello' } },
          spec: { containers: [{ name: 'hello', image: 'ko://example.com/hello' }] },
        },
      },
    });
  }
}

const draft = new HelloChart(new App(), 'hello');
const references = await findReferences(draft.toJson());
const resolved = await resolveReferences(references, {
  dir: fileURLToPath(new URL('../hello', import.meta.url)),
  ...(process.env.TSKO_BASE_IMAGE ? { baseImage: process.env.TSKO_BASE_IMAGE } : {}),
});

const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist', resolvers: [koResolver(resolved)] });
new HelloChart(app, 'hello');
app.synth();
for (const [reference, image] of resolved) console.log(`${reference} -> ${image}`);
