import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { emptyImage } from '@tsko/registry';

it('a CommonJS file can require() the built package and gets the same values as ESM', () => {
  const script = fileURLToPath(new URL('./cjs-consumer.cjs', import.meta.url));
  const out = JSON.parse(
    execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  ) as Record<string, unknown>;
  assert.deepEqual(out, {
    ref: 'docker.io/library/nginx:1.27',
    digest: emptyImage({ os: 'linux', architecture: 'amd64' }).digest,
    isError: true,
  });
});
