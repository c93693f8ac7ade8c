// The README's demo: build examples/hello for linux/amd64 and linux/arm64 into an OCI layout,
// with no network and no registry (the base is `scratch`). With KO_DOCKER_REPO set, it also
// pushes there. Run it with `bash scripts/demo.sh` on a fresh machine, or `pnpm demo`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publish } from '@tsko/core';

const dir = fileURLToPath(new URL('./hello', import.meta.url));
const layout = process.env.TSKO_DEMO_LAYOUT ?? join(mkdtempSync(join(tmpdir(), 'tsko-demo-')), 'layout');
const repo = process.env.KO_DOCKER_REPO;
const started = Date.now();

const result = await publish('./', {
  dir,
  repo: repo ?? 'tsko.demo',
  naming: 'baseImportPaths',
  baseImage: 'scratch',
  platforms: ['linux/amd64', 'linux/arm64'],
  push: Boolean(repo),
  sinks: [{ type: 'layout', path: layout }],
  onEvent: (e) => {
    if (e.type === 'build:done') console.log(`  built ${e.importPath} for ${e.platform} in ${e.durationMs} ms`);
    if (e.type === 'layer:cached') console.log(`  binary layer for ${e.platform} unchanged: reused from the cache`);
    if (e.type === 'push:done') console.log(`  pushed ${e.ref}`);
  },
});

console.log(`\n${result.ref}`);
console.log(`  platforms: ${result.platforms.map((p) => `${p.platform} ${p.digest.slice(0, 19)}…`).join(', ')}`);
// The layout entry is named like the reference without its digest: `<repository>:<tag>`.
const named = result.ref.split('@')[0];
const entry = /:[^/]*$/.test(named) ? named : `${named}:latest`;
console.log(`  OCI layout: ${layout} (try: skopeo inspect --raw oci:${layout}:${entry})`);
console.log(
  `  ${repo ? `pushed to ${repo}` : 'not pushed: set KO_DOCKER_REPO to push'}; took ${Date.now() - started} ms`,
);
