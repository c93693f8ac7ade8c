// Pulumi + tsko: publish() returns a promise of { ref, digest, ... } (the same field names as
// @pulumi/docker-build), so pulumi.output() turns it into inputs for any resource. The
// Deployment is declared as a generic Kubernetes resource to keep the example free of
// provider packages; with @pulumi/kubernetes it is `new k8s.apps.v1.Deployment(...)`.
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { publish } from '@tsko/core';

const image = pulumi.output(
  publish('./', {
    dir: fileURLToPath(new URL('../hello', import.meta.url)),
    ...(process.env.TSKO_BASE_IMAGE ? { baseImage: process.env.TSKO_BASE_IMAGE } : {}),
  }),
);

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
