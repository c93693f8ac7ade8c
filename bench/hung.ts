// Time for a pull from a registry that accepts connections and never answers, with defaults.
//   pnpm build && node --import tsx bench/hung.ts
import { pullImage } from '@tsko/registry';
import { startBlackHole } from '@tsko/test-rig';
const hole = await startBlackHole();
const started = performance.now();
try {
  await pullImage(`${hole.host}/hung/app:1`, { env: { HOME: '/nonexistent-tsko-home' } });
} catch (err) {
  console.log(
    `${((performance.now() - started) / 1000).toFixed(1)} s: ${(err as { code?: string }).code} ${(err as Error).message}`,
  );
}
await hole.close();
