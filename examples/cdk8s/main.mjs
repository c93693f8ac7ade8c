// CDK8s + tsko: an ordinary cdk8s app whose container image is a ko:// reference. synthApp()
// replaces `app.synth()`: it synthesizes once, builds and pushes each ko:// image once (in
// parallel), and writes dist/ exactly as `cdk8s synth` would, with digest-pinned images.
// Settings come from the environment: KO_DOCKER_REPO (required to push), TSKO_BASE_IMAGE
// (default: ko's base), CDK8S_OUTDIR (default: dist).
import { fileURLToPath } from 'node:url';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-32';
import { synthApp } from '@tsko/resolve';

class HelloChart extends Chart {
  constructor(scope, id) {
    super(scope, id);
    const deployment = new kplus.Deployment(this, 'hello', {
      replicas: 1,
      containers: [
        {
          image: 'ko://example.com/hello',
          portNumber: 8080,
          securityContext: { ensureNonRoot: false },
        },
      ],
    });
    deployment.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  }
}

const app = new App();
new HelloChart(app, 'hello');

const { outdir, files, images } = await synthApp(app, {
  dir: fileURLToPath(new URL('../hello', import.meta.url)),
  ...(process.env.TSKO_BASE_IMAGE ? { baseImage: process.env.TSKO_BASE_IMAGE } : {}),
});
for (const file of files) console.log(`wrote ${outdir}/${file}`);
for (const [reference, image] of images) console.log(`${reference} -> ${image}`);
