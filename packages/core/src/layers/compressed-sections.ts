import { type FileHandle, open } from 'node:fs/promises';
import { type ByteRange, mergeRanges } from './chunk-plan.js';

const SHF_COMPRESSED = 0x800;
const SHT_NOBITS = 8;
// A gap this small between two compressed sections (a section header's worth, Go's 24-byte
// .debug_gdb_scripts) is stored with them rather than cut out and deflated on its own.
const MERGE_GAP = 4096;
// A cut costs a sync flush and a fresh deflate call: not worth it for a few kilobytes.
const MIN_STORED = 64 * 1024;
// Go binaries have a few dozen sections; a table larger than this is not one we read.
const MAX_TABLE = 1 << 20;

/**
 * File formats that are one entropy-coded stream from their first bytes on (gzip, zstd, xz,
 * bzip2, WOFF2): deflate finds nothing in them. Not PNG or JPEG: deflate still takes 3–25%
 * off some PNGs (measured).
 */
const COMPRESSED_MAGIC = [
  [0x1f, 0x8b, 0x08],
  [0x28, 0xb5, 0x2f, 0xfd],
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  [0x42, 0x5a, 0x68],
  [0x77, 0x4f, 0x46, 0x32],
].map((m) => Buffer.from(m));

/**
 * The parts of a file not worth compressing again, in file offsets:
 * - a whole file in a compressed format (a kodata `.gz` or `.woff2`);
 * - an ELF file's sections flagged SHF_COMPRESSED (zlib or zstd streams). Go's linker
 *   compresses the DWARF of every ELF binary it writes, about a quarter of the file. Deflate at
 *   level 1 spends a third of a Go binary's compression time on them and saves nothing.
 *
 * Neighbours closer than 4 KiB are merged, and pieces under 64 KiB are left to deflate, so the
 * answer depends on the bytes alone. Anything else has none and is compressed as before: a
 * Windows PE, a script, a truncated file.
 */
export async function incompressibleRanges(path: string, knownSize?: number): Promise<ByteRange[]> {
  // A small file is not opened at all (a kodata tree may hold thousands).
  if (knownSize !== undefined && knownSize < MIN_STORED) return [];
  const file = await open(path, 'r');
  try {
    const { size, head } = await readHead(file);
    if (size < MIN_STORED) return [];
    if (COMPRESSED_MAGIC.some((m) => head.subarray(0, m.length).equals(m))) return [{ start: 0, end: size }];
    const sections = await sectionsOf(file, size, head);
    return mergeRanges(sections, MERGE_GAP).filter((r) => r.end - r.start >= MIN_STORED);
  } finally {
    await file.close();
  }
}

/** File ranges of the SHF_COMPRESSED sections of an ELF file, sorted; [] if it is not one. */
export async function compressedSections(path: string): Promise<ByteRange[]> {
  const file = await open(path, 'r');
  try {
    const { size, head } = await readHead(file);
    return await sectionsOf(file, size, head);
  } finally {
    await file.close();
  }
}

/** The file's size and its first 64 bytes (fewer if it is shorter): an ELF header's worth. */
async function readHead(file: FileHandle): Promise<{ size: number; head: Buffer }> {
  const { size } = await file.stat();
  const head = Buffer.alloc(64);
  const { bytesRead } = await file.read(head, 0, 64, 0);
  return { size, head: head.subarray(0, bytesRead) };
}

async function sectionsOf(file: FileHandle, size: number, head: Buffer): Promise<ByteRange[]> {
  const layout = elfLayout(head);
  if (!layout) return [];
  const { tableOffset, entrySize, count, wide, little } = layout;
  const tableSize = entrySize * count;
  if (count === 0 || tableSize > MAX_TABLE || tableOffset + tableSize > size) return [];
  if (entrySize < (wide ? 64 : 40)) return [];
  const table = Buffer.alloc(tableSize);
  await file.read(table, 0, tableSize, tableOffset);
  const ranges: ByteRange[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const type = word(table, at + 4, 4, little);
    const flags = word(table, at + 8, wide ? 8 : 4, little);
    const offset = word(table, at + (wide ? 0x18 : 0x10), wide ? 8 : 4, little);
    const length = word(table, at + (wide ? 0x20 : 0x14), wide ? 8 : 4, little);
    if (type === SHT_NOBITS || (flags & SHF_COMPRESSED) === 0 || length === 0) continue;
    if (offset + length > size) return [];
    ranges.push({ start: offset, end: offset + length });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

interface ElfLayout {
  tableOffset: number;
  entrySize: number;
  count: number;
  wide: boolean;
  little: boolean;
}

/** Where the section header table is, from the ELF file header; undefined if not ELF. */
function elfLayout(header: Buffer): ElfLayout | undefined {
  if (header.length < 52 || header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const wide = header[4] === 2;
  const little = header[5] === 1;
  if ((!wide && header[4] !== 1) || (!little && header[5] !== 2) || (wide && header.length < 64)) return undefined;
  return {
    tableOffset: word(header, wide ? 0x28 : 0x20, wide ? 8 : 4, little),
    entrySize: word(header, wide ? 0x3a : 0x2e, 2, little),
    // 0 means more than 0xff00 sections (the count is kept elsewhere): not a Go binary.
    count: word(header, wide ? 0x3c : 0x30, 2, little),
    wide,
    little,
  };
}

/** An unsigned field of 2, 4 or 8 bytes; 8-byte values past 2^53 come back unsafe and fail the size checks. */
function word(b: Buffer, at: number, bytes: 2 | 4 | 8, little: boolean): number {
  if (bytes === 2) return little ? b.readUInt16LE(at) : b.readUInt16BE(at);
  if (bytes === 4) return little ? b.readUInt32LE(at) : b.readUInt32BE(at);
  return Number(little ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
}
