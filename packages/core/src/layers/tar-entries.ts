import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import { Readable } from 'node:stream';

/** One entry of a layer tar, with every header field fixed so output is reproducible. */
export type TarEntry =
  | { type: 'directory'; name: string; mode: number; mtime: Date }
  | { type: 'file'; name: string; mode: number; mtime: Date; size: number; source: string; xattrs?: Record<string, Uint8Array> };

/**
 * A PAX extended header whose values are raw bytes. tar-stream's own `pax` option encodes
 * values as UTF-8 text, which would corrupt binary xattrs such as `security.capability`; Go's
 * archive/tar (and so ko) writes them byte for byte. Records are sorted by key, as Go does.
 */
function paxRecords(records: Record<string, Uint8Array>): Buffer {
  const parts = Object.keys(records).sort().map((key) => {
    const body = Buffer.concat([Buffer.from(` ${key}=`), records[key]!, Buffer.from('\n')]);
    // The length prefix counts itself: grow it until it is stable.
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return Buffer.concat([Buffer.from(String(len)), body]);
  });
  return Buffer.concat(parts);
}

/** Go's name for the extended header of `name`: `<dir>/PaxHeaders.0/<base>`. */
function paxName(name: string): string {
  const slash = name.lastIndexOf('/');
  return `${name.slice(0, slash + 1)}PaxHeaders.0/${name.slice(slash + 1)}`.slice(0, 100);
}

/**
 * A tar stream of `entries`, in order, owned by root (uid/gid 0, no user or group names).
 * File bytes are streamed from disk one at a time.
 */
export function tarStream(entries: readonly TarEntry[]): Readable {
  const p: Pack = pack();
  void (async () => {
    try {
      for (const e of entries) {
        const header = { name: e.name, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0, uname: '', gname: '' };
        if (e.type === 'directory') {
          await new Promise<void>((resolve, reject) => p.entry({ ...header, type: 'directory' }, (err) => (err ? reject(err) : resolve())));
        } else {
          if (e.xattrs && Object.keys(e.xattrs).length) {
            const records: Record<string, Uint8Array> = {};
            for (const [k, v] of Object.entries(e.xattrs)) records[`SCHILY.xattr.${k}`] = v;
            const body = paxRecords(records);
            // tar-stream writes a 'pax-header' entry (typeflag x) as given; its types omit the name.
            const paxHeader = { name: paxName(e.name), type: 'pax-header' as unknown as 'file', mode: 0, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0), size: body.length };
            await new Promise<void>((resolve, reject) => p.entry(paxHeader, body, (err) => (err ? reject(err) : resolve())));
          }
          const sink = p.entry({ ...header, type: 'file', size: e.size });
          await pipeline(createReadStream(e.source), sink);
        }
      }
      p.finalize();
    } catch (err) {
      p.destroy(err as Error);
    }
  })();
  // tar-stream is a streamx stream; wrap it so Node's pipeline sees a standard Readable.
  return Readable.from(p);
}
