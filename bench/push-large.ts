// Benchmark: pushing a large layer, tsko vs skopeo (the peer). The layer is a real tar+gzip
// layer (tsko's own binary layer of BENCH_MIB MiB of Go executables, ~40% after gzip), so
// skopeo copies it as is rather than recompressing bytes that only claim to be gzip. The
// image goes to an OCI layout; each repetition starts two fresh registries, one per pusher,
// so neither finds blobs the other left. Each pusher runs as its own process; wall time and
// peak RSS are measured with /usr/bin/time.
//
//   node --import tsx bench/push-large.ts     (BENCH_MIB=200, BENCH_REPS=3 by default)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLayers, emptyImage, sha256 } from '@tsko/registry';
import { binaryLayer, BlobStore, writeOciLayout } from '@tsko/core';
import { startRegistry, type TestRegistry } from '@tsko/test-rig';
import { compareRows, median, printRows, type Row } from './compare.js';
import { goBinaryLike } from './gzip.js';

const mib = Number(process.env.BENCH_MIB ?? 200);
const reps = Number(process.env.BENCH_REPS ?? 3);

export async function pushRows(dir: string): Promise<{ rows: Row[]; rss: { skopeo: number[]; tsko: number[] } }> {
  const binary = join(dir, 'app.bin');
  goBinaryLike(binary, mib << 20);
  const { layer } = await binaryLayer({ binaryPath: binary, appName: 'app', store: new BlobStore(join(dir, 'store')) });
  rmSync(binary);
  const image = appendLayers(emptyImage({ os: 'linux', architecture: 'amd64' }), [{ layer }]);
  const layout = join(dir, 'layout');
  await writeOciLayout(layout, image, 'big');
  const pushScript = join(dir, 'push.mjs');
  const registryUrl = new URL('../packages/registry/dist/bundle/index.js', import.meta.url).href;
  writeFileSync(
    pushScript,
    `
import { pushImage, readOciLayout } from '${registryUrl}';
await pushImage(await readOciLayout(process.argv[2], 'big'), process.argv[3]);
`,
  );
  const rss = { skopeo: [] as number[], tsko: [] as number[] };
  // Peak RSS in MiB and wall ms of one process, on a fresh registry it gets alone.
  const timedPush = async (who: 'skopeo' | 'tsko'): Promise<number> => {
    const registry: TestRegistry = await startRegistry('plain');
    try {
      const [cmd, args] =
        who === 'skopeo'
          ? ([
              'skopeo',
              [
                'copy',
                '--quiet',
                '--dest-tls-verify=false',
                `oci:${layout}:big`,
                `docker://${registry.host}/peer/big:1`,
              ],
            ] as const)
          : ([process.execPath, [pushScript, layout, `${registry.host}/tsko/big:1`]] as const);
      const t = performance.now();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
        encoding: 'utf8',
        env: { ...process.env, HOME: dir },
      });
      const ms = performance.now() - t;
      if (r.status !== 0) throw new Error(`${who} failed: ${r.stderr}`);
      rss[who].push(Number(r.stderr.trim().split('\n').pop()) / 1024);
      if (who === 'tsko') {
        const pushed = spawnSync(
          'skopeo',
          ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/tsko/big:1`],
          { encoding: 'utf8' },
        ).stdout;
        if (sha256(pushed) !== image.digest) throw new Error('tsko pushed something else');
      }
      return ms;
    } finally {
      await registry.stop();
    }
  };
  const rows: Row[] = [
    {
      name: `push a ${(layer.size / 2 ** 20).toFixed(0)} MiB gzip layer`,
      peer: 'skopeo copy',
      runPeer: () => timedPush('skopeo'),
      runOurs: () => timedPush('tsko'),
    },
  ];
  return { rows, rss };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'tsko-bench-push-'));
  try {
    const { rows, rss } = await pushRows(dir);
    printRows(
      `push from an OCI layout to a fresh local registry each, ${reps} interleaved repetitions`,
      await compareRows(rows, reps),
    );
    console.log(
      `peak RSS, median: skopeo ${median(rss.skopeo).toFixed(0)} MiB, tsko ${median(rss.tsko).toFixed(0)} MiB`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
