// Benchmark: pushing a large layer, tsko vs skopeo (the peer), side by side in one run.
// The same image (one 256 MiB layer of random bytes, so nothing compresses or dedupes) is
// written to an OCI layout; then skopeo copies it from the layout to one repository and tsko
// pushes it from the layout to another, each into a fresh repository of the same real
// registry. Reports wall time and peak RSS of each pusher as a separate process, and ratios.
//
//   pnpm bench:push        (BENCH_MIB=256 by default)
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLayers, emptyImage, fileLayer, sha256 } from '@tsko/registry';
import { writeOciLayout } from '@tsko/core';
import { startRegistry } from '@tsko/test-rig';

const mib = Number(process.env.BENCH_MIB ?? 256);
const dir = mkdtempSync(join(tmpdir(), 'tsko-bench-push-'));
const blobPath = join(dir, 'layer.bin');

// Random bytes stand in for a gzipped layer: the registry checks digests, not gzip.
const hash = createHash('sha256');
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(blobPath);
  out.on('error', reject);
  let written = 0;
  const chunk = 1 << 20;
  const write = () => {
    while (written < mib) {
      const buf = randomBytes(chunk);
      hash.update(buf);
      written++;
      if (!out.write(buf)) return void out.once('drain', write);
    }
    out.end(resolve);
  };
  write();
});
const digest = `sha256:${hash.digest('hex')}` as const;
const image = appendLayers(emptyImage({ os: 'linux', architecture: 'amd64' }), [{ layer: fileLayer(blobPath, { digest, diffId: digest, size: mib << 20 }) }]);
const layout = join(dir, 'layout');
await writeOciLayout(layout, image, 'big');

const registry = await startRegistry('plain');
try {
  const timed = (cmd: string, args: string[]) => {
    const t = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    const rssKiB = Number(r.stderr.trim().split('\n').pop());
    return { ms: performance.now() - t, rssMiB: rssKiB / 1024 };
  };
  const pushScript = join(dir, 'push.mjs');
  const registryUrl = new URL('../packages/registry/dist/index.js', import.meta.url).href;
  const coreUrl = new URL('../packages/core/dist/index.js', import.meta.url).href;
  await import('node:fs/promises').then((fs) => fs.writeFile(pushScript, `
import { pushImage } from '${registryUrl}';
import { readOciLayout } from '${coreUrl}';
const entry = await readOciLayout(process.argv[2], 'big');
await pushImage(entry.image, process.argv[3]);
`));
  const skopeo = timed('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:big`, `docker://${registry.host}/peer/big:1`]);
  const tsko = timed(process.execPath, [pushScript, layout, `${registry.host}/tsko/big:1`]);
  const pushed = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/tsko/big:1`], { encoding: 'utf8' }).stdout;
  if (sha256(pushed) !== image.digest) throw new Error('tsko pushed something else');
  console.log(`push one ${mib} MiB layer from an OCI layout to a local registry (fresh repository each)`);
  console.log('pusher    wall ms   peak RSS MiB');
  console.log(`skopeo  ${skopeo.ms.toFixed(0).padStart(9)}   ${skopeo.rssMiB.toFixed(0).padStart(12)}`);
  console.log(`tsko    ${tsko.ms.toFixed(0).padStart(9)}   ${tsko.rssMiB.toFixed(0).padStart(12)}`);
  console.log(`ratio tsko/skopeo: time ${(tsko.ms / skopeo.ms).toFixed(2)}, memory ${(tsko.rssMiB / skopeo.rssMiB).toFixed(2)}; layer/tsko RSS ${(mib / tsko.rssMiB).toFixed(1)}x`);
} finally {
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
}
