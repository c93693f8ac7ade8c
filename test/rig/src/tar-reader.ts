import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';

/** One entry of a layer tar as a test reads it back. */
export interface TarEntryRead {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  body: string;
  /** PAX records of the entry (e.g. `MSWINDOWS.rawsd`), if it had any. */
  pax?: Record<string, string>;
}

/** Reads a gzipped layer stream back into its entries, in order (small layers only). */
export async function readTarLayer(gz: Readable): Promise<TarEntryRead[]> {
  const chunks: Buffer[] = [];
  for await (const c of gz) chunks.push(c as Buffer);
  const ex = extract();
  const out: TarEntryRead[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: unknown) => parts.push(d as Buffer));
      stream.on('end', () => {
        out.push({
          name: h.name,
          type: h.type ?? '',
          mode: h.mode ?? 0,
          uid: h.uid ?? -1,
          gid: h.gid ?? -1,
          mtime: h.mtime?.getTime() ?? -1,
          body: Buffer.concat(parts).toString(),
          ...(h.pax && Object.keys(h.pax).length ? { pax: { ...h.pax } } : {}),
        });
        next();
      });
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  ex.end(gunzipSync(Buffer.concat(chunks)));
  await done;
  return out;
}
