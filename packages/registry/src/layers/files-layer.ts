import { createHash } from 'node:crypto';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline as pipelineCb, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Digest } from '../digest.js';
import { fileSystemError } from '../error-wrapping.js';
import { TskoError } from '../errors.js';
import { streamLayer, type Layer } from '../layer.js';
import { MediaType } from '../media-types.js';
import { tarChunks, type LayerTarEntry } from './tar-writer.js';

/** Owner, mode and time of one entry; every field has a reproducible default. */
export interface LayerEntryOptions {
  /** Permission bits (`0o755`). Files default to 0o644, directories to 0o755. */
  mode?: number;
  /** Numeric owner (default 0, root; never the building machine's user). */
  uid?: number;
  gid?: number;
  /** Modification time (default the layer's `mtime`). */
  mtime?: Date;
}

/** A file for `filesLayer`: text (UTF-8), bytes, a file on disk, or a symbolic link. */
export type LayerFileContent = string | Uint8Array | { path: string } | { symlink: string };

export type LayerFile = LayerFileContent | ({ content: LayerFileContent } & LayerEntryOptions);

/** Defaults for every entry of a layer, and its media type. */
export interface LayerOptions {
  /** Modification time of every entry without its own (default 1970-01-01, as ko's kodata). */
  mtime?: Date;
  /** Owner of every entry without its own (default 0:0). */
  uid?: number;
  gid?: number;
  /** Mode of the parent directories added for the paths (default 0o755). */
  directoryMode?: number;
  /** Layer media type (default OCI gzip; pass the Docker one for a Docker base). */
  mediaType?: string;
  signal?: AbortSignal;
}

export interface FolderLayerOptions extends LayerOptions {
  /** Where the folder's contents go in the image (default `/`, e.g. `/app`). */
  into?: string;
  /** Replaces the modes read from disk (for checkouts whose modes vary), by path in the image. */
  mode?: (path: string, kind: 'file' | 'directory' | 'symlink', diskMode: number) => number;
}

/**
 * A layer of files given by their paths in the image, as jib's `FileEntriesLayer` or
 * containerify's `customContent`: content as text, bytes or a file on disk (streamed, never
 * read whole), with modes, owners and reproducible mtimes. Parent directories are added;
 * entries are sorted, so the same input gives the same digest. Use it with `appendLayer`.
 *
 * ```ts
 * const layer = await filesLayer({
 *   '/etc/app/config.json': JSON.stringify(config),
 *   '/app/server': { content: { path: './dist/server' }, mode: 0o755, uid: 65532, gid: 65532 },
 * });
 * ```
 */
export async function filesLayer(
  files: Readonly<Record<string, LayerFile>>,
  options: LayerOptions = {},
): Promise<Layer> {
  if (typeof files !== 'object' || files === null)
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      'filesLayer(files): expected an object mapping paths in the image to contents.',
    );
  const entries: LayerTarEntry[] = [];
  for (const [key, value] of Object.entries(files)) {
    const name = imagePath(key, `filesLayer: path "${key.slice(0, 200)}"`);
    const spec = typeof value === 'object' && value !== null && 'content' in value ? value : { content: value };
    entries.push(await fileEntry(name, spec.content, { ...defaults(options), ...own(spec as LayerEntryOptions) }, key));
  }
  return layerOf(withParents(entries, options), options);
}

/**
 * A layer holding a folder's files, directories and symbolic links under `into` (default `/`),
 * with each entry's mode from disk (or `mode()`), owner 0:0 (or `uid`/`gid`) and one `mtime`
 * (default 1970-01-01), so a fresh checkout gives the same digest as an old one. Other kinds of
 * file (sockets, FIFOs, devices) are refused with `TSKO_PATH_INVALID`.
 */
export async function folderLayer(dir: string, options: FolderLayerOptions = {}): Promise<Layer> {
  const info = await stat(dir).catch((err: unknown) => {
    throw fileSystemError(err, 'folderLayer folder', dir);
  });
  if (!info.isDirectory())
    throw new TskoError('TSKO_PATH_INVALID', `folderLayer: ${dir} is not a folder.`, { details: { path: dir } });
  const root = options.into === undefined || options.into === '/' ? '' : imagePath(options.into, 'folderLayer: into');
  const base = defaults(options);
  const entries: LayerTarEntry[] = [];
  const walk = async (from: string, to: string): Promise<void> => {
    const names = (
      await readdir(from).catch((err: unknown) => {
        throw fileSystemError(err, 'folderLayer folder', from);
      })
    ).sort();
    for (const name of names) {
      const path = join(from, name);
      const inImage = to ? `${to}/${name}` : name;
      const s = await lstat(path).catch((err: unknown) => {
        throw fileSystemError(err, 'folderLayer file', path);
      });
      const kind = s.isDirectory() ? 'directory' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'symlink' : undefined;
      if (!kind)
        throw new TskoError(
          'TSKO_PATH_INVALID',
          `folderLayer: ${path} is neither a file, a folder nor a symbolic link; remove it or build the layer with filesLayer.`,
          { details: { path } },
        );
      const mode = options.mode ? options.mode(`/${inImage}`, kind, s.mode & 0o7777) : s.mode & 0o7777;
      const meta = { ...base, mode, name: inImage };
      if (kind === 'directory') {
        entries.push({ ...meta, type: 'directory' });
        await walk(path, inImage);
      } else if (kind === 'symlink') entries.push({ ...meta, type: 'symlink', target: await readlink(path) });
      else entries.push({ ...meta, type: 'file', size: s.size, content: { path } });
    }
  };
  await walk(dir, root);
  return layerOf(withParents(entries, options), options);
}

function defaults(o: LayerOptions): { uid: number; gid: number; mtime: Date } {
  return { uid: id(o.uid, 'uid'), gid: id(o.gid, 'gid'), mtime: time(o.mtime) };
}

function own(o: LayerEntryOptions): Partial<{ uid: number; gid: number; mtime: Date; mode: number }> {
  const r: Partial<{ uid: number; gid: number; mtime: Date; mode: number }> = {};
  if (o.uid !== undefined) r.uid = id(o.uid, 'uid');
  if (o.gid !== undefined) r.gid = id(o.gid, 'gid');
  if (o.mtime !== undefined) r.mtime = time(o.mtime);
  if (o.mode !== undefined) r.mode = modeOf(o.mode);
  return r;
}

function id(v: unknown, what: string): number {
  if (v === undefined) return 0;
  if (!Number.isSafeInteger(v) || (v as number) < 0)
    throw new TskoError('TSKO_INVALID_ARGUMENT', `Layer ${what} ${String(v)} must be a non-negative integer.`);
  return v as number;
}

function time(v: unknown): Date {
  if (v === undefined) return new Date(0);
  if (!(v instanceof Date) || Number.isNaN(v.getTime()) || v.getTime() < 0)
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `Layer mtime ${String(v)} must be a valid Date at or after 1970-01-01.`,
    );
  return v;
}

function modeOf(v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0o7777)
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `Layer mode ${String(v)} must be permission bits between 0 and 0o7777 (e.g. 0o755).`,
    );
  return v as number;
}

/** `/app/./x` → `app/x`; refuses `..`, empty paths and NUL, which would escape or corrupt the tar. */
function imagePath(path: string, what: string): string {
  if (typeof path !== 'string' || path.includes('\0') || path.split(/[\\/]/).includes('..')) {
    throw new TskoError('TSKO_INVALID_ARGUMENT', `${what}: a path in the image must not contain ".." or NUL.`);
  }
  const name = posix.normalize(`/${path}`).replace(/^\/+|\/+$/g, '');
  if (!name)
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `${what}: the path names the root; give a file path such as /app/config.json.`,
    );
  return name;
}

async function fileEntry(
  name: string,
  content: LayerFileContent,
  meta: { uid: number; gid: number; mtime: Date; mode?: number },
  key: string,
): Promise<LayerTarEntry> {
  const base = { name, uid: meta.uid, gid: meta.gid, mtime: meta.mtime };
  if (typeof content === 'string' || content instanceof Uint8Array) {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    return { ...base, mode: meta.mode ?? 0o644, type: 'file', size: bytes.length, content: bytes };
  }
  if (content && typeof content === 'object' && 'symlink' in content && typeof content.symlink === 'string') {
    return { ...base, mode: meta.mode ?? 0o777, type: 'symlink', target: content.symlink };
  }
  if (content && typeof content === 'object' && 'path' in content && typeof content.path === 'string') {
    const s = await stat(content.path).catch((err: unknown) => {
      throw fileSystemError(err, `filesLayer "${key}" source`, content.path);
    });
    if (!s.isFile())
      throw new TskoError('TSKO_PATH_INVALID', `filesLayer "${key}": source ${content.path} is not a regular file.`, {
        details: { path: content.path },
      });
    return { ...base, mode: meta.mode ?? s.mode & 0o7777, type: 'file', size: s.size, content: { path: content.path } };
  }
  throw new TskoError(
    'TSKO_INVALID_ARGUMENT',
    `filesLayer "${key}": content must be a string, bytes, { path } or { symlink }.`,
  );
}

/**
 * Adds every missing parent directory (runtimes such as runc need them to own the right
 * modes), drops duplicates (the last one given wins) and sorts by path, so the tar does not
 * depend on the order the caller listed files in.
 */
function withParents(entries: readonly LayerTarEntry[], o: LayerOptions): LayerTarEntry[] {
  const byName = new Map<string, LayerTarEntry>();
  for (const e of entries) byName.set(e.name, e);
  const dirMode = modeOf(o.directoryMode ?? 0o755);
  for (const e of entries) {
    for (let i = e.name.indexOf('/'); i > 0; i = e.name.indexOf('/', i + 1)) {
      const parent = e.name.slice(0, i);
      if (!byName.has(parent)) byName.set(parent, { name: parent, type: 'directory', mode: dirMode, ...defaults(o) });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Hashes and counts what flows through; with `expected`, fails at the end if the bytes differ. */
class Hashing extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly expected?: { digest: Digest; size: number }) {
    super();
  }
  override _flush(done: TransformCallback): void {
    if (!this.expected) {
      done();
      return;
    }
    const actual = this.digest();
    if (actual === this.expected.digest && this.size === this.expected.size) {
      done();
      return;
    }
    done(
      new TskoError(
        'TSKO_DIGEST_MISMATCH',
        `A layer built from files now has digest ${actual} (${this.size} bytes), not ${this.expected.digest} (${this.expected.size} bytes): a source file changed after the layer was made. Build the layer again.`,
        { details: { expected: this.expected.digest, actual } },
      ),
    );
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** gzip level fixed so that the bytes, and so the digest, do not depend on zlib's default. */
const gzip = () => createGzip({ level: 6 });

/**
 * The layer's identity comes from one streaming pass (tar → diffID hash → gzip → digest) and
 * `open()` produces the same bytes again, verified against that digest, as
 * go-containerregistry's `tarball.LayerFromOpener` does: nothing is kept on disk or in memory.
 */
async function layerOf(given: readonly LayerTarEntry[], o: LayerOptions): Promise<Layer> {
  // Folders carry a trailing `/`, as Go's tar.FileInfoHeader names them (ko's own layers do not).
  const entries = given.map((e) => (e.type === 'directory' ? { ...e, name: `${e.name}/` } : e));
  const diff = new Hashing();
  const compressed = new Hashing();
  const drain = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) void chunk;
  };
  if (o.signal)
    await pipeline(Readable.from(tarChunks(entries)), diff, gzip(), compressed, drain, { signal: o.signal });
  else await pipeline(Readable.from(tarChunks(entries)), diff, gzip(), compressed, drain);
  const digest = compressed.digest();
  const size = compressed.size;
  return streamLayer(
    { digest, diffId: diff.digest(), size, mediaType: o.mediaType ?? MediaType.OCI_LAYER_GZIP },
    async () => {
      // The callback form hands back the last stream, which then carries any error of the chain.
      return pipelineCb(Readable.from(tarChunks(entries)), gzip(), new Hashing({ digest, size }), () => {});
    },
  );
}
