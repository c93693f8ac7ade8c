import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { readBuffers } from './chunk-pool.js';
import { resolve } from 'node:path';
import { MediaType, type Layer, type Platform } from '@tsko/registry';
import type { BlobStore } from './blob-store.js';
import { storedRanges, tarPieces, type TarEntry } from './tar-entries.js';
import { isWindows, WINDOWS_FILE_PAX, WINDOWS_LAYER_DIRS, windowsLayerPath } from './windows-layout.js';

export interface BinaryLayerOptions {
  /** The built executable on disk. */
  binaryPath: string;
  /** Its name inside the image: `/ko-app/<appName>`. */
  appName: string;
  platform?: Platform;
  /** Layer media type; follows the base image (OCI or Docker). */
  mediaType?: string;
  store: BlobStore;
  /**
   * A `security.capability` xattr value for the binary (`builds[].linux_capabilities`), written
   * as a PAX record on Linux targets, as ko does.
   */
  capabilities?: Uint8Array;
}

/** Where ko puts binaries in the image. */
export const APP_DIR = '/ko-app';
const EPOCH = new Date(0);
// v2: tar headers as Go's archive/tar writes them (equal diffIDs with ko); v3: Windows layout;
// v4: the binary's compressed ELF sections stored in the gzip, not deflated again.
/** The layer's format version: part of every key that names a binary layer. */
export const BINARY_LAYER_FORMAT = 'binary-layer-v4';

/** Result of building a layer: the layer, and whether the store already had it. */
export interface BuiltLayer {
  layer: Layer;
  cached: boolean;
}

/**
 * ko's binary layer: the `ko-app` directory and `/ko-app/<name>`, both 0555, owned by root,
 * mtime 0; for a Windows platform `Hives`, `Files`, `Files/ko-app` and `Files/ko-app/<name>`
 * with the security descriptor Windows needs to run it (see windows-layout.ts). Keyed by the binary's content hash and the layer options, so an unchanged binary
 * is not re-tarred or re-gzipped.
 */
export async function binaryLayer(options: BinaryLayerOptions): Promise<BuiltLayer> {
  const mediaType = options.mediaType ?? MediaType.OCI_LAYER_GZIP;
  const contentHash = await binaryHash(options.binaryPath, options.store);
  const os = options.platform?.os ?? 'linux';
  const caps = os === 'linux' && options.capabilities ? Buffer.from(options.capabilities) : undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([BINARY_LAYER_FORMAT, contentHash, options.appName, os, caps?.toString('hex') ?? '']))
    .digest('hex');
  const hit = await options.store.lookup(key);
  if (hit) return { layer: options.store.layer(hit, mediaType), cached: true };
  const { size } = await stat(options.binaryPath);
  const entries = binaryEntries(options.binaryPath, size, options.appName, options.platform, caps);
  const blob = await options.store.writeTarGz(tarPieces(entries), { stored: await storedRanges(entries) });
  await options.store.remember(key, blob);
  return { layer: options.store.layer(blob, mediaType), cached: false };
}

function binaryEntries(
  source: string,
  size: number,
  appName: string,
  platform: Platform | undefined,
  caps: Buffer | undefined,
): TarEntry[] {
  const file = { type: 'file', mode: 0o555, mtime: EPOCH, size, source } as const;
  const dir = (name: string) => ({ type: 'directory', name, mode: 0o555, mtime: EPOCH }) as const;
  const inImage = `${APP_DIR}/${appName}`;
  if (isWindows(platform)) {
    return [
      ...WINDOWS_LAYER_DIRS.map(dir),
      dir(windowsLayerPath(APP_DIR)),
      { ...file, name: windowsLayerPath(inImage), pax: WINDOWS_FILE_PAX },
    ];
  }
  return [
    dir('ko-app'),
    { ...file, name: inImage, ...(caps ? { pax: { 'SCHILY.xattr.security.capability': caps } } : {}) },
  ];
}

/**
 * The binary's sha256, remembered by (path, dev, inode, size, mtime, ctime): `go build` leaves
 * an up-to-date output untouched, so a no-op publish need not read the whole binary again.
 * ctime moves on any write, even one that puts the mtime back.
 */
async function binaryHash(path: string, store: BlobStore): Promise<string> {
  const s = await stat(path, { bigint: true });
  const stamp = JSON.stringify([resolve(path), `${s.dev}`, `${s.ino}`, `${s.size}`, `${s.mtimeNs}`, `${s.ctimeNs}`]);
  const known = await store.recallHash(stamp);
  if (known) return known;
  const hash = await hashFile(path);
  await store.rememberHash(stamp, hash);
  return hash;
}

/** sha256 of a file, read through a pooled buffer (fresh ones cost full heap collections). */
async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  const buffer = readBuffers.take();
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return h.digest('hex');
      h.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file?.close();
    readBuffers.release(buffer);
  }
}
