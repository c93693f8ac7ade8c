// Pulumi + tsko: KoImage builds the Go program into an image and pushes it, as a resource in
// the stack. `pulumi preview` builds without pushing and already shows the digest `pulumi up`
// will push; the Deployment takes `image.ref` like any other resource output. The Deployment
// is declared as a generic Kubernetes resource to keep the example free of provider packages;
// with @pulumi/kubernetes it is `new k8s.apps.v1.Deployment(...)`.
// Settings: config `repo` (else KO_DOCKER_REPO), `baseImage` (else TSKO_BASE_IMAGE, else ko's
// default), and optionally `registryUser` + secret `registryPassword` for the repo's registry.
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { KoImage } from '@tsko/core/pulumi';

const config = new pulumi.Config();
const repo = config.get('repo') ?? process.env.KO_DOCKER_REPO;
const baseImage = config.get('baseImage') ?? process.env.TSKO_BASE_IMAGE;
const registryUser = config.get('registryUser');

export const image = new KoImage('hello', {
  importPath: './',
  dir: fileURLToPath(new URL('../hello', import.meta.url)),
  repo,
  ...(baseImage ? { baseImage } : {}),
  ...(registryUser && repo
    ? {
        registries: [
          { address: repo.split('/')[0], username: registryUser, password: config.requireSecret('registryPassword') },
        ],
      }
    : {}),
});

export const deployment = new pulumi.CustomResource('kubernetes:apps/v1:Deployment', 'hello', {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'hello' },
  spec: {
    selector: { matchLabels: { app: 'hello' } },
    template: {
      metadata: { labels: { app: 'hello' } },
      spec: { containers: [{ name: 'hello', image: image.ref }] },
    },
  },
});

export const imageRef = image.ref;
export const imageDigest = image.digest;
