import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { TskoError } from '../errors.js';

/**
 * One entry of a layer tar with every header field given, so the bytes are reproducible.
 * Names are written as given (Go's archive/tar does not add a `/` to directories either).
 */
/**
 * Changes whenever the bytes this writer produces for the same entries change (2: no device
 * numbers in PAX extended headers, as Go). Caches keyed by entries must include it.
 */
export const TAR_WRITER_VERSION = 2;

export type LayerTarEntry = {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
} & (
  | { type: 'directory' }
  | { type: 'symlink'; target: string }
  | {
      type: 'file';
      size: number;
      content: Uint8Array | { path: string };
      /** Extra PAX records with raw byte values, e.g. `SCHILY.xattr.security.capability`. */
      pax?: Readonly<Record<string, Uint8Array>>;
    }
);

const BLOCK = 512;
const MAX_OCTAL_8 = 0o7777777;
const TYPEFLAG = { file: '0', symlink: '2', directory: '5' } as const;

/**
 * The bytes of a tar holding `entries` in order, byte for byte what Go's archive/tar writes for
 * the same headers (so ko's layers and ours have equal diffIDs, test/ko-peer): USTAR when
 * everything fits (a long name split into prefix and name), else a PAX header first. No user
 * or group names, no device numbers. File contents are streamed from disk, never held whole.
 */
export async function* tarChunks(
  entries: readonly LayerTarEntry[],
  options: TarChunksOptions = {},
): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const size = e.type === 'file' ? e.size : 0;
    yield* headerBlocks(e, size);
    if (e.type !== 'file') continue;
    let written = 0;
    if (e.content instanceof Uint8Array) {
      written = e.content.length;
      yield Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength);
    } else {
      const pieces = options.readBuffer
        ? readInto(e.content.path, options.readBuffer)
        : // 1 MiB reads: each read queues on libuv's pool behind the compressor's chunks, so
          // fewer, larger reads keep the pool fed (64 KiB reads made the layer 1.7x pigz).
          createReadStream(e.content.path, { highWaterMark: 1 << 20 });
      for await (const chunk of pieces) {
        written += (chunk as Buffer).length;
        if (written > size) break;
        yield chunk as Buffer;
      }
    }
    if (written !== size) {
      const where = e.content instanceof Uint8Array ? e.name : e.content.path;
      throw new TskoError(
        'TSKO_FILESYSTEM',
        `${where} changed size while being archived into a layer (${size} → ${written} bytes or more); build the layer again.`,
        { details: { path: where } },
      );
    }
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(2 * BLOCK);
}

/**
 * Where each entry's content starts in the tar `tarChunks(entries)` writes, in bytes from the
 * start (for an entry without content, where it would start: just after its headers). Lets a
 * consumer treat known parts of a file specially, e.g. a compressor storing a binary's already
 * compressed sections as they are.
 */
export function tarContentOffsets(entries: readonly LayerTarEntry[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const e of entries) {
    const size = e.type === 'file' ? e.size : 0;
    for (const block of headerBlocks(e, size)) at += block.length;
    offsets.push(at);
    at += size + ((BLOCK - (size % BLOCK)) % BLOCK);
  }
  return offsets;
}

export interface TarChunksOptions {
  /**
   * Read file contents into this buffer, again and again: each piece of a file handed out is a
   * view of it, valid only until the next piece is asked for. For a consumer that copies or
   * hashes each piece at once; it saves a fresh buffer per read, which V8 answers with
   * collections of the whole heap when layers are many.
   */
  readBuffer?: Buffer;
}

async function* readInto(path: string, buffer: Buffer): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for the whole 7-bit range, NUL included.
const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

function headerBlocks(e: LayerTarEntry, size: number): Buffer[] {
  const link = e.type === 'symlink' ? e.target : '';
  const seconds = Math.floor(e.mtime.getTime() / 1000);
  const records: Record<string, Uint8Array> = { ...(e.type === 'file' ? e.pax : undefined) };
  if (e.uid > MAX_OCTAL_8) records.uid = Buffer.from(String(e.uid));
  if (e.gid > MAX_OCTAL_8) records.gid = Buffer.from(String(e.gid));
  if (!isAscii(link) || Buffer.byteLength(link) > 100) records.linkpath = Buffer.from(link);
  const base = {
    link: truncateBytes(link, 100),
    typeflag: TYPEFLAG[e.type],
    mode: e.mode,
    size,
    seconds,
    uid: Math.min(e.uid, MAX_OCTAL_8),
    gid: Math.min(e.gid, MAX_OCTAL_8),
  };
  const fits = isAscii(e.name) && Buffer.byteLength(e.name) <= 100;
  if (Object.keys(records).length === 0) {
    if (fits) return [ustarHeader({ ...base, name: e.name, prefix: '' })];
    const split = isAscii(e.name) ? splitPrefix(e.name) : undefined;
    if (split) return [ustarHeader({ ...base, ...split })];
  }
  if (!fits) records.path = Buffer.from(e.name);
  const body = paxRecords(records);
  const pax = ustarHeader({
    name: truncateBytes(paxHeaderName(e.name), 100),
    prefix: '',
    link: '',
    typeflag: 'x',
    mode: 0,
    size: body.length,
    seconds: 0,
    uid: 0,
    gid: 0,
    // Go writes the extended header with its V7 fields only (writeRawFile): no device numbers.
    devices: false,
  });
  const padding = Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK);
  return [pax, body, padding, ustarHeader({ ...base, name: truncateBytes(e.name, 100), prefix: '' })];
}

/** Go's `path.Join(path.Dir(name), "PaxHeaders.0", path.Base(name))`. */
function paxHeaderName(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const base = trimmed.slice(slash + 1);
  return slash < 0 ? `PaxHeaders.0/${base}` : `${trimmed.slice(0, slash)}/PaxHeaders.0/${base}`;
}

/** Go's USTAR split of a long name into a 155-byte prefix and a 100-byte name at a `/`. */
function splitPrefix(name: string): { prefix: string; name: string } | undefined {
  let length = name.length;
  if (length > 156) length = 156;
  else if (name.endsWith('/')) length--;
  const i = name.lastIndexOf('/', length - 1);
  const suffixLength = name.length - i - 1;
  if (i <= 0 || suffixLength > 100 || suffixLength === 0 || i > 155) return undefined;
  return { prefix: name.slice(0, i), name: name.slice(i + 1) };
}

function ustarHeader(h: {
  name: string;
  prefix: string;
  link: string;
  typeflag: string;
  mode: number;
  size: number;
  seconds: number;
  uid: number;
  gid: number;
  devices?: boolean;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, Math.max(0, h.seconds));
  b.write(h.typeflag, 156, 1, 'ascii');
  b.write(h.link, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  if (h.devices !== false) {
    octal(b, 329, 8, 0); // devmajor
    octal(b, 337, 8, 0); // devminor
  }
  b.write(h.prefix, 345, 155, 'utf8');
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  // Go: six octal digits, NUL, space.
  octal(b, 148, 7, sum);
  b.write(' ', 155, 1, 'ascii');
  return b;
}

/** Zero-padded octal filling the field but its last byte, which is NUL (Go's formatOctal). */
function octal(b: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1)
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `A tar header value (${value}) is too large for its field; files of 8 GiB or more are not supported in a layer.`,
    );
  b.write(digits, offset, length - 1, 'ascii');
  b[offset + length - 1] = 0;
}

/** PAX records `"<len> <key>=<value>\n"`, sorted by key as Go writes them; len counts the whole record. */
function paxRecords(records: Readonly<Record<string, Uint8Array>>): Buffer {
  return Buffer.concat(
    Object.keys(records)
      .sort()
      .map((key) => {
        const body = Buffer.concat([Buffer.from(` ${key}=`), records[key]!, Buffer.from('\n')]);
        let length = body.length + 1;
        while (String(length).length + body.length !== length) length = String(length).length + body.length;
        return Buffer.concat([Buffer.from(String(length)), body]);
      }),
  );
}

function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s);
  return b.length <= max ? s : b.subarray(0, max).toString('utf8');
}
