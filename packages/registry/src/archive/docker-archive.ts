import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileSystemError, guarded } from '../error-wrapping.js';
import { TskoError } from '../errors.js';
import type { Image } from '../image.js';
import type { ImageIndex } from '../image-index.js';
import { lazyRequire } from '../lazy-modules.js';
import { formatPlatform, hostPlatform, platformMatches, type Platform } from '../platform.js';

const tarStream = lazyRequire<typeof import('tar-stream')>('tar-stream');

/** One image of a docker archive and the names (`repo:tag`) it loads as. */
export interface ArchiveEntry {
  image: Image;
  repoTags: string[];
}

/**
 * The entries a docker archive gets for an image or index. A docker archive has no index, so
 * an index becomes one entry per platform (the gap behind ko#1708): each child is tagged
 * `<tag>-<os>-<arch>[-<variant>]`, and the child for `preferred` (default: this machine's
 * platform, else the first) also gets the plain tags, so `docker run repo:tag` just works.
 */
export function archiveEntries(
  node: Image | ImageIndex,
  repository: string,
  tags: readonly string[],
  preferred: Platform = { ...hostPlatform(), os: 'linux' },
): ArchiveEntry[] {
  if (node.kind === 'image') return [{ image: node, repoTags: tags.map((t) => `${repository}:${t}`) }];
  const children = node.children.filter((c): c is { image: Image; platform?: Platform } => c.image.kind === 'image');
  const chosen = children.find((c) => platformMatches(preferred, c.platform ?? c.image.platform)) ?? children[0];
  return children.map((c) => {
    const suffix = formatPlatform(c.platform ?? c.image.platform).replace(/[/:]/g, '-');
    const repoTags = tags.map((t) => `${repository}:${t}-${suffix}`);
    if (c === chosen) repoTags.unshift(...tags.map((t) => `${repository}:${t}`));
    return { image: c.image, repoTags };
  });
}

/**
 * A docker-archive tar (`docker save` format: `manifest.json`, a config file and the gzipped
 * layers per image) as a stream; layers are copied from their sources one at a time.
 */
export function dockerArchiveStream(entries: readonly ArchiveEntry[], signal?: AbortSignal): Readable {
  const p = tarStream().pack();
  void (async () => {
    try {
      const written = new Set<string>();
      const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
      const add = (name: string, body: Buffer) =>
        new Promise<void>((resolve, reject) =>
          p.entry({ name, mode: 0o644, mtime: new Date(0) }, body, (err) => (err ? reject(err) : resolve())),
        );
      for (const { image, repoTags } of entries) {
        const configName = `${image.manifest.config.digest.slice('sha256:'.length)}.json`;
        if (!written.has(configName)) {
          await add(configName, image.rawConfig);
          written.add(configName);
        }
        const layers: string[] = [];
        for (const layer of image.layers) {
          const name = `${layer.digest.slice('sha256:'.length)}.tar.gz`;
          layers.push(name);
          if (written.has(name)) continue;
          written.add(name);
          const sink = p.entry({ name, mode: 0o644, mtime: new Date(0), size: layer.size });
          await pipeline(await layer.open(signal), sink);
        }
        manifest.push({ Config: configName, RepoTags: repoTags, Layers: layers });
      }
      await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
      p.finalize();
    } catch (err) {
      p.destroy(err as Error);
    }
  })();
  return Readable.from(p);
}

/** Writes a docker archive file atomically (a failed write leaves no half file). */
export function writeDockerArchive(
  path: string,
  entries: readonly ArchiveEntry[],
  signal?: AbortSignal,
): Promise<void> {
  return guarded(`Writing tarball ${path}`, () => writeArchive(path, entries, signal));
}

async function writeArchive(
  path: string,
  entries: readonly ArchiveEntry[],
  signal: AbortSignal | undefined,
): Promise<void> {
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    throw new TskoError(
      'TSKO_PATH_INVALID',
      `Tarball path ${path} is a folder; name a file such as ${path.replace(/\/+$/, '')}/image.tar.`,
      { details: { path } },
    );
  }
  await mkdir(dirname(path), { recursive: true }).catch((err: unknown) => {
    throw fileSystemError(err, 'Tarball folder', dirname(path));
  });
  // Unique per writer: two writers of one path must not share (and truncate) a temp file.
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await pipeline(dockerArchiveStream(entries, signal), createWriteStream(tmp));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw typeof (err as NodeJS.ErrnoException).syscall === 'string' ? fileSystemError(err, 'Tarball', path) : err;
  }
}
