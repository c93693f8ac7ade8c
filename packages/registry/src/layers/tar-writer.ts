import { createReadStream } from 'node:fs';
import { TskoError } from '../errors.js';

/** One entry of a layer tar with every header field given, so the bytes are reproducible. */
export type LayerTarEntry = {
  /** Path inside the image, relative (`app/config.json`); directories without a trailing `/`. */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
} & (
  | { type: 'directory' }
  | { type: 'symlink'; target: string }
  | { type: 'file'; size: number; content: Uint8Array | { path: string } }
);

const BLOCK = 512;
const MAX_OCTAL_8 = 0o7777777;

/**
 * The bytes of a tar holding `entries` in order: USTAR headers, with a PAX record for what does
 * not fit (long or non-ASCII names and link targets, large ids). No user or group names, no
 * device numbers, so the same entries give the same bytes on every machine. File contents are
 * read from disk as they are written (one chunk at a time), never whole.
 */
export async function* tarChunks(entries: readonly LayerTarEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const size = e.type === 'file' ? e.size : 0;
    const name = e.type === 'directory' ? `${e.name}/` : e.name;
    yield* headerBlocks(e, name, size);
    if (e.type !== 'file') continue;
    let written = 0;
    if (e.content instanceof Uint8Array) {
      written = e.content.length;
      yield Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength);
    } else {
      for await (const chunk of createReadStream(e.content.path)) {
        written += (chunk as Buffer).length;
        if (written > size) break;
        yield chunk as Buffer;
      }
    }
    if (written !== size) {
      const where = e.content instanceof Uint8Array ? e.name : e.content.path;
      throw new TskoError('TSKO_FILESYSTEM', `${where} changed size while being archived into a layer (${size} → ${written} bytes or more); build the layer again.`, { details: { path: where } });
    }
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(2 * BLOCK);
}

const TYPEFLAG = { file: '0', symlink: '2', directory: '5' } as const;

function headerBlocks(e: LayerTarEntry, name: string, size: number): Buffer[] {
  const link = e.type === 'symlink' ? e.target : '';
  const pax: [string, string][] = [];
  const fits = (s: string, max: number) => /^[\x20-\x7e]*$/.test(s) && s.length <= max;
  if (!fits(name, 100)) pax.push(['path', name]);
  if (!fits(link, 100)) pax.push(['linkpath', link]);
  if (e.uid > MAX_OCTAL_8) pax.push(['uid', String(e.uid)]);
  if (e.gid > MAX_OCTAL_8) pax.push(['gid', String(e.gid)]);
  const header = ustarHeader({
    name: pax.some(([k]) => k === 'path') ? asciiPrefix(name, 100) : name,
    link: pax.some(([k]) => k === 'linkpath') ? asciiPrefix(link, 100) : link,
    typeflag: TYPEFLAG[e.type], mode: e.mode, size, mtime: Math.floor(e.mtime.getTime() / 1000),
    uid: Math.min(e.uid, MAX_OCTAL_8), gid: Math.min(e.gid, MAX_OCTAL_8),
  });
  if (pax.length === 0) return [header];
  const records = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
  const paxHeader = ustarHeader({ name: asciiPrefix(`PaxHeaders.0/${name}`, 100), link: '', typeflag: 'x', mode: 0o644, size: records.length, mtime: 0, uid: 0, gid: 0 });
  const padding = Buffer.alloc((BLOCK - (records.length % BLOCK)) % BLOCK);
  return [paxHeader, records, padding, header];
}

function ustarHeader(h: { name: string; link: string; typeflag: string; mode: number; size: number; mtime: number; uid: number; gid: number }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'ascii');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, Math.max(0, h.mtime));
  b.write(h.typeflag, 156, 1, 'ascii');
  b.write(h.link, 157, 100, 'ascii');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  octal(b, 148, 7, sum);
  b.write(' ', 155, 1, 'ascii');
  return b;
}

function octal(b: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new TskoError('TSKO_INVALID_ARGUMENT', `A tar header value (${value}) is too large for its field; files of 8 GiB or more are not supported in a layer.`);
  b.write(digits, offset, length - 1, 'ascii');
}

/** A PAX record `"<len> <key>=<value>\n"`, where len counts the whole record. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

/** The header's own name field when PAX carries the real one: printable ASCII, cut to fit. */
function asciiPrefix(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}
