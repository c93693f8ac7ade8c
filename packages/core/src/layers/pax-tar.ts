import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A minimal tar writer for the one layer that needs raw PAX records: the binary with
 * `linux_capabilities`. ko (Go's archive/tar) stores the `security.capability` xattr as a
 * `SCHILY.xattr.security.capability` record holding raw bytes; tar-stream's `pax` option
 * encodes record values as UTF-8 text, which corrupts bytes of 0x80 and above, so this writes
 * the headers itself: USTAR blocks, owned by root, with Go's `PaxHeaders.0` naming.
 */
export type PaxTarEntry =
  | { type: 'directory'; name: string; mode: number; mtime: Date }
  | { type: 'file'; name: string; mode: number; mtime: Date; size: number; source: string; pax?: Record<string, Uint8Array> };

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One USTAR header block; names must fit the 100-byte field (callers add a `path` record otherwise). */
function header(name: string, mode: number, size: number, mtime: Date, typeflag: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name.slice(0, 100), 0, 'utf8');
  b.write(octal(mode, 8), 100);
  b.write(octal(0, 8), 108);
  b.write(octal(0, 8), 116);
  b.write(octal(size, 12), 124);
  b.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136);
  b.write(typeflag, 156);
  b.write('ustar\u000000', 257, 'latin1');
  b.write(octal(0, 8), 329);
  b.write(octal(0, 8), 337);
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** PAX records `"<len> <key>=<value>\n"`, sorted by key as Go writes them; values are raw bytes. */
export function paxRecords(records: Record<string, Uint8Array>): Buffer {
  return Buffer.concat(Object.keys(records).sort().map((key) => {
    const body = Buffer.concat([Buffer.from(` ${key}=`), records[key]!, Buffer.from('\n')]);
    // The length prefix counts its own digits.
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return Buffer.concat([Buffer.from(String(len)), body]);
  }));
}

async function* blocks(entries: readonly PaxTarEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    if (e.type === 'directory') {
      yield header(e.name, e.mode, 0, e.mtime, '5');
      continue;
    }
    const records: Record<string, Uint8Array> = { ...(e.pax ?? {}) };
    if (Buffer.byteLength(e.name) > 100) records.path = Buffer.from(e.name);
    if (Object.keys(records).length) {
      const body = paxRecords(records);
      const slash = e.name.lastIndexOf('/');
      yield header(`${e.name.slice(0, slash + 1)}PaxHeaders.0/${e.name.slice(slash + 1)}`, 0, body.length, new Date(0), 'x');
      yield Buffer.concat([body, padding(body.length)]);
    }
    yield header(e.name, e.mode, e.size, e.mtime, '0');
    let written = 0;
    for await (const chunk of createReadStream(e.source)) {
      written += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (written !== e.size) throw new Error(`${e.source} changed size while being archived (${e.size} → ${written} bytes)`);
    yield padding(e.size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** A tar stream of `entries` with their PAX records. */
export function paxTarStream(entries: readonly PaxTarEntry[]): Readable {
  return Readable.from(blocks(entries));
}
