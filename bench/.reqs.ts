import { publish } from '@tsko/core';
import { goTestEnvironment, startRegistry, writeManyPrograms } from '@tsko/test-rig';
const dir = '/tmp/reqs/many';
const paths = await writeManyPrograms(dir, 20);
const env = goTestEnvironment({ GOPROXY: 'off' });
const registry = await startRegistry('plain');
const opts = {
  dir,
  repo: `${registry.host}/many`,
  baseImage: 'scratch',
  platforms: ['linux/amd64'],
  cacheDir: '/tmp/reqs/cache',
  environment: env,
} as const;
await publish(paths, opts);
const n0 = (await registry.requests()).length;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await publish(paths, opts);
  console.log('no-op push', (performance.now() - t).toFixed(0));
}
const all = (await registry.requests()).slice(n0);
const counts: Record<string, number> = {};
for (const r of all) {
  const k = `${r.method} ${r.path.replace(/many\/p\d\d-[0-9a-f]+/, 'many/pNN').replace(/sha256[:-][0-9a-f]+/g, 'D')}`;
  counts[k] = (counts[k] ?? 0) + 1;
}
console.log(all.length / 3, counts);
await registry.stop();
