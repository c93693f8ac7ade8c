// Benchmark: many separate no-op pushImage calls in one process (issue 11: library users such
// as Pulumi programs call publish once per image, each call without a session). The calls
// share the process's connection pool and remembered /v2/ ping; the peer is skopeo copying
// the same image from an OCI layout, one process per call. Also prints the HTTP requests and
// TCP connections each call costs, counted by undici's diagnostics channel and a loopback
// TCP pass-through in front of the registry.
//
//   pnpm build && node --import tsx bench/repeat-calls.ts     (BENCH_REPS=5, BENCH_CALLS=10)
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushImage, writeOciLayout, type Image } from '@tsko/registry';
import { skopeoCopy, startConnectionCounter, startRegistry, testImage } from '@tsko/test-rig';
import { compareRows, printRows, type Row } from './compare.js';

const calls = Number(process.env.BENCH_CALLS ?? 10);
const reps = Number(process.env.BENCH_REPS ?? 5);
const options = { env: { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' } };

/** The small image both sides push: three layers, already in the registry (a no-op). */
async function benchImage(scratch: string, registry: string): Promise<{ image: Image; layout: string }> {
  const image = await testImage('repeat-calls', undefined, 3);
  const layout = join(scratch, 'layout');
  await writeOciLayout(layout, image, 'app');
  await pushImage(image, `${registry}/bench-repeat/tsko:1`, options);
  await skopeoCopy(`oci:${layout}:app`, `docker://${registry}/bench-repeat/skopeo:1`, ['--dest-tls-verify=false']);
  return { image, layout };
}

/**
 * `calls` sequential no-op pushes of one image (ours, then skopeo's); `registry` is host:port.
 * The OCI layout skopeo reads goes under `scratchRoot`, or a folder removed at exit.
 */
export async function repeatCallsRows(registry: string, scratchRoot?: string): Promise<Row[]> {
  const scratch = mkdtempSync(join(scratchRoot ?? tmpdir(), 'tsko-bench-repeat-'));
  if (!scratchRoot) process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  const { image, layout } = await benchImage(scratch, registry);
  const timed = async (one: () => Promise<unknown>) => {
    const t = performance.now();
    for (let i = 0; i < calls; i++) await one();
    return performance.now() - t;
  };
  return [
    {
      name: `${calls} no-op pushImage calls`,
      peer: `${calls} skopeo copy`,
      runPeer: () =>
        timed(() =>
          skopeoCopy(`oci:${layout}:app`, `docker://${registry}/bench-repeat/skopeo:1`, ['--dest-tls-verify=false']),
        ),
      runOurs: () => timed(() => pushImage(image, `${registry}/bench-repeat/tsko:1`, options)),
    },
  ];
}

/** HTTP requests and TCP connections of the first call to a registry in this process, then of each later one. */
export async function repeatCallCounts(registry: string): Promise<{ requests: number[]; connections: number[] }> {
  const counter = await startConnectionCounter(registry);
  let requests = 0;
  const count = () => requests++;
  diagnostics.subscribe('undici:request:create', count);
  try {
    const image = await testImage('repeat-counts', undefined, 3);
    await pushImage(image, `${registry}/bench-repeat/counts:1`, options);
    const out = { requests: [] as number[], connections: [] as number[] };
    for (let i = 0; i < calls; i++) {
      const [r, c] = [requests, counter.accepted()];
      await pushImage(image, `${counter.host}/bench-repeat/counts:1`, options);
      out.requests.push(requests - r);
      out.connections.push(counter.accepted() - c);
    }
    return out;
  } finally {
    diagnostics.unsubscribe('undici:request:create', count);
    await counter.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const registry = await startRegistry('plain');
  try {
    const counts = await repeatCallCounts(registry.host);
    console.log(`no-op pushImage calls in one process, per call (first … last):`);
    console.log(`  HTTP requests:   ${counts.requests.join(' ')}`);
    console.log(`  TCP connections: ${counts.connections.join(' ')}`);
    printRows(
      `${calls} sequential no-op pushes of a 3-layer image, ${reps} interleaved repetitions`,
      await compareRows(await repeatCallsRows(registry.host), reps),
    );
  } finally {
    await registry.stop();
  }
}
