import { open, type FileHandle } from 'node:fs/promises';

/**
 * Reads the build information the Go linker embeds in every binary (Go 1.18+ inline form) and
 * formats it as `go version -m FILE` prints it, so a publish needs no second `go` process per
 * binary. The blob is 16-byte aligned and starts with `\xff Go buildinf:`; then a pointer-size
 * byte and a flags byte (bit 2: the strings follow inline), 16 unused bytes, and two
 * uvarint-length strings: the Go version and the module information framed by 16-byte
 * sentinels (debug/buildinfo's format). Returns undefined for anything else (older Go, not a
 * Go binary, a blob that does not check out), and the caller asks `go version -m` instead.
 */
export async function readBuildInfo(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const start = await elfBuildInfoOffset(handle);
    const blob = start === undefined ? await scanForBlob(handle) : await read(handle, start, BLOB_WINDOW);
    const decoded = blob && decodeBlob(blob);
    if (!decoded) return undefined;
    const lines = decoded.modules.replace(/\n$/, '').replaceAll('\n', '\n\t');
    return `${file}: ${decoded.goVersion}\n${decoded.modules ? `\t${lines}\n` : ''}`;
  } finally {
    await handle.close();
  }
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ALIGN = 16;
const HEADER = 32;
/** Module information of a large program fits easily; debug/buildinfo reads 64 KiB too. */
const BLOB_WINDOW = 64 * 1024;
const CHUNK = 1 << 20;

async function read(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** The file offset of the `.go.buildinfo` section of an ELF binary (what Linux images hold). */
async function elfBuildInfoOffset(handle: FileHandle): Promise<number | undefined> {
  const ident = await read(handle, 0, 64);
  if (ident.length < 64 || ident.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = ident[4] === 2;
  const le = ident[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const shoff = word(ident, is64 ? 0x28 : 0x20);
  const shentsize = u16(ident, is64 ? 0x3a : 0x2e);
  const shnum = u16(ident, is64 ? 0x3c : 0x30);
  const shstrndx = u16(ident, is64 ? 0x3e : 0x32);
  if (!shoff || !shnum || shstrndx >= shnum || shnum > 4096) return undefined;
  const table = await read(handle, shoff, shentsize * shnum);
  if (table.length < shentsize * shnum) return undefined;
  const offsetOf = (i: number) => word(table, i * shentsize + (is64 ? 0x18 : 0x10));
  const sizeOf = (i: number) => word(table, i * shentsize + (is64 ? 0x20 : 0x14));
  const names = await read(handle, offsetOf(shstrndx), Math.min(sizeOf(shstrndx), 1 << 16));
  const wanted = Buffer.from('.go.buildinfo\0');
  for (let i = 0; i < shnum; i++) {
    const at = u32(table, i * shentsize);
    if (names.subarray(at, at + wanted.length).equals(wanted)) return offsetOf(i);
  }
  return undefined;
}

/** Other formats (PE, Mach-O): the first aligned magic that decodes, read a chunk at a time. */
async function scanForBlob(handle: FileHandle): Promise<Buffer | undefined> {
  const { size } = await handle.stat();
  for (let position = 0; position < size; position += CHUNK) {
    // Chunks overlap by a header so a magic across the boundary is still seen.
    const chunk = await read(handle, position, CHUNK + HEADER);
    for (let i = chunk.indexOf(MAGIC); i >= 0; i = chunk.indexOf(MAGIC, i + 1)) {
      if ((position + i) % ALIGN !== 0) continue;
      const blob = await read(handle, position + i, BLOB_WINDOW);
      if (decodeBlob(blob)) return blob;
    }
  }
  return undefined;
}

function decodeBlob(blob: Buffer): { goVersion: string; modules: string } | undefined {
  if (blob.length < HEADER || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const pointerSize = blob[14];
  const flags = blob[15]!;
  if ((pointerSize !== 4 && pointerSize !== 8) || (flags & 2) === 0) return undefined;
  const version = uvarintBytes(blob, HEADER);
  const goVersion = version?.bytes.toString('utf8');
  if (!version || !goVersion || !/^(go\d|devel )/.test(goVersion)) return undefined;
  const mod = uvarintBytes(blob, version.end);
  if (!mod) return undefined;
  // The module text is framed by two 16-byte sentinels (binary bytes); the text ends in a newline.
  const framed = mod.bytes;
  const modules =
    framed.length >= 33 && framed[framed.length - 17] === 0x0a ? framed.subarray(16, -16).toString('utf8') : '';
  return { goVersion, modules };
}

function uvarintBytes(buf: Buffer, at: number): { bytes: Buffer; end: number } | undefined {
  let length = 0;
  let shift = 0;
  let i = at;
  for (; i < buf.length && shift < 35; i++, shift += 7) {
    const byte = buf[i]!;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (i >= buf.length) return undefined;
  const start = i + 1;
  if (start + length > buf.length) return undefined;
  return { bytes: buf.subarray(start, start + length), end: start + length };
}
