// Benchmark: layer compression, tsko vs `pigz -1 -p2` (the peer: parallel gzip at the level
// go-containerregistry uses), on a ~200 MiB file made of real Go executables (the Go
// toolchain's own binaries, concatenated), so it compresses like a Go binary layer does.
// Rows: tsko's compressor alone (file to file), and tsko's whole binary layer (tar + gzip +
// diffId and digest), each against pigz compressing the same bytes. The toolchain's binaries
// carry no DWARF, so a third row takes real programs as `go build` leaves them (with DWARF,
// which Go's linker compresses and tsko stores as it is): the binary layers of 10 programs,
// built at once, against pigz compressing the same 10 files.
//
//   node --import tsx bench/gzip.ts      (BENCH_MIB=200, BENCH_REPS=3 by default)
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { binaryLayer, BlobStore } from '@tsko/core';
import { goTestEnvironment, writeManyPrograms } from '@tsko/test-rig';
import { parallelGzip } from '../packages/core/src/layers/parallel-gzip.js';
import { compareRows, printRows, type Row } from './compare.js';

const mib = Number(process.env.BENCH_MIB ?? 200);
const reps = Number(process.env.BENCH_REPS ?? 3);

/** Concatenates the Go toolchain's executables until `size` bytes. */
export function goBinaryLike(path: string, size: number): void {
  const goroot = spawnSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).stdout.trim();
  const toolDir = join(
    goroot,
    'pkg',
    'tool',
    `${spawnSync('go', ['env', 'GOHOSTOS'], { encoding: 'utf8' }).stdout.trim()}_${spawnSync('go', ['env', 'GOHOSTARCH'], { encoding: 'utf8' }).stdout.trim()}`,
  );
  const sources = [
    join(goroot, 'bin', 'go'),
    ...readdirSync(toolDir)
      .sort()
      .map((n) => join(toolDir, n)),
  ];
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    while (written < size) {
      for (const s of sources) {
        const buf = readFileSync(s).subarray(0, size - written);
        writeSync(fd, buf);
        written += buf.length;
        if (written >= size) break;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export async function gzipRows(dir: string): Promise<Row[]> {
  if (spawnSync('pigz', ['--version']).status !== 0)
    throw new Error('pigz is not installed (apt-get install -y pigz): it is the peer of the gzip rows.');
  const input = join(dir, 'go-binaries.bin');
  goBinaryLike(input, mib << 20);
  const pigz = () => {
    const t = performance.now();
    const r = spawnSync('sh', ['-c', `pigz -1 -p2 -c '${input}' > '${join(dir, 'pigz.gz')}'`]);
    if (r.status !== 0) throw new Error(r.stderr.toString());
    return performance.now() - t;
  };
  let n = 0;
  const programs = await builtPrograms(join(dir, 'programs'), 10);
  return [
    {
      name: `gzip ${mib} MiB of Go binaries`,
      peer: 'pigz -1 -p2',
      runPeer: pigz,
      runOurs: async () => {
        const t = performance.now();
        await pipeline(
          createReadStream(input, { highWaterMark: 1 << 20 }),
          parallelGzip,
          createWriteStream(join(dir, 'tsko.gz')),
        );
        return performance.now() - t;
      },
    },
    {
      name: `binary layer (tar, gzip, 2 sha256)`,
      peer: 'pigz -1 -p2',
      runPeer: pigz,
      runOurs: async () => {
        const store = new BlobStore(join(dir, `store-${++n}`));
        const t = performance.now();
        await binaryLayer({ binaryPath: input, appName: 'app', store });
        const ms = performance.now() - t;
        rmSync(store.root, { recursive: true, force: true });
        return ms;
      },
    },
    {
      name: `${programs.length} Go programs' layers (DWARF), at once`,
      peer: 'pigz -1 -p2, the same files',
      runPeer: () => {
        const t = performance.now();
        const r = spawnSync('sh', [
          '-c',
          `pigz -1 -p2 -c ${programs.map((p) => `'${p}'`).join(' ')} > '${join(dir, 'programs-pigz.gz')}'`,
        ]);
        if (r.status !== 0) throw new Error(r.stderr.toString());
        return performance.now() - t;
      },
      runOurs: async () => {
        const store = new BlobStore(join(dir, `store-${++n}`));
        const t = performance.now();
        const layers = await Promise.all(
          programs.map((binaryPath, i) => binaryLayer({ binaryPath, appName: `p${i}`, store })),
        );
        const ms = performance.now() - t;
        programLayerBytes = layers.reduce((sum, l) => sum + l.layer.size, 0);
        rmSync(store.root, { recursive: true, force: true });
        return ms;
      },
    },
  ];
}

/** Total bytes of the program layers of the last run (to compare with pigz's output). */
export let programLayerBytes = 0;

/** `count` programs of the rig's many-programs module, built as a plain `go build` builds them. */
async function builtPrograms(dir: string, count: number): Promise<string[]> {
  await writeManyPrograms(join(dir, 'src'), count);
  const out = join(dir, 'bin');
  const r = spawnSync('go', ['build', '-trimpath', '-o', `${out}/`, './cmd/...'], {
    cwd: join(dir, 'src'),
    env: { ...goTestEnvironment({ GOPROXY: 'off' }), CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' },
  });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return readdirSync(out)
    .sort()
    .map((name) => join(out, name));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'tsko-bench-gzip-'));
  try {
    const results = await compareRows(await gzipRows(dir), reps);
    printRows(`layer compression, ${reps} interleaved repetitions`, results);
    const sizes = ['tsko.gz', 'pigz.gz', 'programs-pigz.gz'].map((f) =>
      spawnSync('stat', ['-c', '%s', join(dir, f)], { encoding: 'utf8' }).stdout.trim(),
    );
    console.log(`compressed size: tsko ${sizes[0]} bytes, pigz ${sizes[1]} bytes`);
    console.log(`programs with DWARF: tsko's layers ${programLayerBytes} bytes, pigz ${sizes[2]} bytes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
