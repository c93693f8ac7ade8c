// `ko resolve -f config/ > out/resolved.yaml` as a build script. KO_DOCKER_REPO says where to
// push (without it, the images are built but not pushed and the references are bare names,
// `hello-<md5>:latest@sha256:…`, as `ko resolve --push=false` prints them).
// Usage: node resolve-config.mjs [output-file]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveManifests } from '@tsko/resolve';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const output = resolve(process.argv[2] ?? here('./out/resolved.yaml'));
const yaml = await resolveManifests(
  { files: [here('./config')] },
  {
    dir: here('../hello'),
    push: Boolean(process.env.KO_DOCKER_REPO),
    ...(process.env.TSKO_BASE_IMAGE ? { baseImage: process.env.TSKO_BASE_IMAGE } : { baseImage: 'scratch' }),
    onEvent: (e) => e.type === 'resolve:resolved' && console.error(`${e.reference} -> ${e.ref}`),
  },
);
await mkdir(dirname(output), { recursive: true });
await writeFile(output, yaml);
console.error(`wrote ${output}`);
