// Peak RSS while filesLayer digests and re-opens a 512 MiB file: file contents stream, so the
// peak stays near Node's baseline instead of growing with the file.
// Run: pnpm build && node --import tsx bench/files-layer-rss.ts
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesLayer } from '@tsko/registry';

const MIB = 512;
const path = join(tmpdir(), `tsko-files-layer-rss-${process.pid}.bin`);
const chunk = Buffer.alloc(1 << 20);
const fh = await open(path, 'w');
for (let i = 0; i < MIB; i++) {
  chunk.fill(i & 255);
  await fh.write(chunk);
}
await fh.close();
let peak = 0;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
try {
  const t0 = Date.now();
  const layer = await filesLayer({ '/data/big.bin': { content: { path } } });
  const t1 = Date.now();
  let bytes = 0;
  for await (const c of await layer.open()) bytes += (c as Buffer).length;
  if (bytes !== layer.size) throw new Error(`open() gave ${bytes} bytes, the layer says ${layer.size}`);
  console.log(
    JSON.stringify({
      fileMiB: MIB,
      digestPassMs: t1 - t0,
      openPassMs: Date.now() - t1,
      compressedBytes: bytes,
      peakRssMiB: Math.round(peak / 2 ** 20),
    }),
  );
} finally {
  clearInterval(timer);
  await rm(path, { force: true });
}
