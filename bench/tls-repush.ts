// Benchmark: re-pushing a small image over TLS vs plain HTTP (issue 7 group 4).
// Each re-push uses a fresh RegistrySession, as a new `publish` call would. Sessions share the
// process's connection pool and remembered ping (issue 11), so after the first round this is
// the cost of a call over warm connections; opening single TLS connections is timed apart.
// Every blob already exists: the push is one HEAD of the manifest.
//
//   pnpm build && node --import tsx bench/tls-repush.ts     (BENCH_ROUNDS=10 by default)
import { connect, createSecureContext, rootCertificates, type ConnectionOptions } from 'node:tls';
import { pushImage, RegistrySession } from '@tsko/registry';
import { startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';

const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };

async function repush(registry: TestRegistry): Promise<number[]> {
  const image = await testImage(`bench-${registry.kind}`, undefined, 3);
  const ref = `${registry.host}/bench/app:1`;
  const options = { env, ...(registry.caPem ? { ca: registry.caPem } : {}) };
  await pushImage(image, ref, options);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const session = new RegistrySession(options);
    const started = performance.now();
    await pushImage(image, ref, { ...options, session });
    times.push(performance.now() - started);
    await session.close();
  }
  return times;
}

/** ms to open one TLS connection, building its secure context per socket or sharing one. */
async function handshakes(registry: TestRegistry, shared: boolean): Promise<number[]> {
  const [host, port] = registry.host.split(':');
  const ca = [...rootCertificates, registry.caPem!];
  const context = createSecureContext({ ca });
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const options: ConnectionOptions = { host, port: Number(port), ...(shared ? { secureContext: context } : { ca }) };
    await new Promise<void>((resolve, reject) => {
      const socket = connect(options, () => {
        socket.end();
        resolve();
      });
      socket.on('error', reject);
    });
    times.push(performance.now() - started);
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const plain = await startRegistry('plain');
const tls = await startRegistry('tls');
try {
  const p = await repush(plain);
  const t = await repush(tls);
  console.log(`re-push of a 3-layer image, fresh session each, ${rounds} rounds (median ms):`);
  console.log(`  plain HTTP: ${median(p).toFixed(1)}  (all: ${p.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`  TLS:        ${median(t).toFixed(1)}  (all: ${t.map((x) => x.toFixed(0)).join(' ')})`);
  const own = await handshakes(tls, false);
  const shared = await handshakes(tls, true);
  console.log(
    `one new TLS connection (median ms): context per socket ${median(own).toFixed(1)}, shared context ${median(shared).toFixed(1)}`,
  );
} finally {
  await plain.stop();
  await tls.stop();
}
