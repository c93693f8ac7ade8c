import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  canonicalJsonBytes,
  DigestVerifier,
  fileSystemError,
  guarded,
  Image,
  type ImageIndex,
  isForeignLayer,
  isIndexMediaType,
  isTskoError,
  MediaType,
  parseImageManifest,
  parseIndexManifest,
  streamLayer,
  TskoError,
  verifyBytes,
  type Descriptor,
  type Digest,
  type ImageIndexManifest,
  type Layer,
} from '@tsko/registry';
import { withFileLock } from './file-lock.js';

/** The annotation an OCI layout uses to name an entry (the tag). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

function blobPath(root: string, digest: string): string {
  const [algo, hex] = digest.split(':');
  return join(root, 'blobs', algo!, hex!);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function writeBlob(root: string, digest: string, open: () => Promise<Readable>): Promise<void> {
  const path = blobPath(root, digest);
  if (await exists(path)) return;
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    // Verify while copying: a layout must never hold a blob under the wrong name.
    await pipeline(
      await open(),
      new DigestVerifier(digest as Digest, undefined, `Blob ${digest}`),
      createWriteStream(tmp),
    );
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeTree(root: string, node: Image | ImageIndex): Promise<void> {
  if (node.kind === 'image') {
    for (const layer of node.layers) {
      if (!isForeignLayer(layer)) await writeBlob(root, layer.digest, () => layer.open());
    }
    await writeBlob(root, node.manifest.config.digest, async () => Readable.from([node.rawConfig]));
  } else {
    for (const child of node.children) await writeTree(root, child.image);
  }
  await writeBlob(root, node.digest, async () => Readable.from([node.rawManifest]));
}

const uniqueSuffix = () => `${process.pid}-${Math.random().toString(36).slice(2)}`;

/** Writes a small file by rename, so a reader (or a crash) never sees it half written. */
async function replaceFile(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The layout's index.json, or an empty index when there is none yet. Anything else (not
 * JSON, not an index, unreadable) is `TSKO_LAYOUT_INVALID` naming the file: replacing it
 * would orphan every image it lists.
 */
async function existingIndex(root: string): Promise<ImageIndexManifest> {
  const file = join(root, 'index.json');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [] };
    throw fileSystemError(err, 'OCI layout index', file);
  }
  try {
    return parseIndexManifest(bytes, file);
  } catch (cause) {
    throw new TskoError(
      'TSKO_LAYOUT_INVALID',
      `${file} is not a valid OCI index (${isTskoError(cause) ? cause.message : String(cause)}); tsko will not replace it, since that would orphan what it lists. Repair or remove it, or write to another folder.`,
      { cause, details: { file } },
    );
  }
}

/**
 * Writes an image or index into an OCI image layout folder (created if needed), naming it
 * `tag` in index.json. An entry with the same name is replaced, and an identical unnamed entry
 * is not added twice, so re-publishing does not grow index.json. Concurrent writers (in this
 * process or others) each keep their entry: index.json is read, changed and replaced under a
 * lock (`index.json.lock`), by rename from a uniquely named temporary file.
 */
export function writeOciLayout(
  root: string,
  node: Image | ImageIndex,
  tag?: string,
  signal?: AbortSignal,
): Promise<Descriptor> {
  return guarded(`Writing OCI layout ${root}`, () => writeLayout(root, node, tag, signal));
}

async function writeLayout(
  root: string,
  node: Image | ImageIndex,
  tag: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Descriptor> {
  try {
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
  } catch (err) {
    throw fileSystemError(err, 'OCI layout folder', root);
  }
  // Refuse a corrupt layout before writing anything into it.
  await existingIndex(root);
  await writeTree(root, node);
  const descriptor: Descriptor = node.descriptor();
  if (tag) descriptor.annotations = { [REF_NAME]: tag };
  await withFileLock(
    join(root, 'index.json.lock'),
    async () => {
      const marker = join(root, 'oci-layout');
      if (!(await exists(marker))) await replaceFile(marker, '{"imageLayoutVersion":"1.0.0"}');
      const index = await existingIndex(root);
      const manifests = index.manifests.filter((d) => {
        const name = d.annotations?.[REF_NAME];
        return tag ? name !== tag : !(name === undefined && d.digest === node.digest);
      });
      manifests.push(descriptor);
      await replaceFile(join(root, 'index.json'), canonicalJsonBytes({ ...index, manifests }));
    },
    signal,
  );
  return descriptor;
}

async function readLayoutIndex(root: string): Promise<ImageIndexManifest> {
  return parseIndexManifest(await readFile(join(root, 'index.json')), `${root}/index.json`);
}

/** An entry of a layout resolved to an image, or to an index whose children load on demand. */
export type LayoutEntry =
  | { kind: 'image'; image: Image; descriptor: Descriptor }
  | {
      kind: 'index';
      manifest: ImageIndexManifest;
      rawManifest: Buffer;
      descriptor: Descriptor;
      load(child: Descriptor): Promise<Image>;
    };

/**
 * Reads an entry of an OCI layout: the one named `tag`, or the only entry when no tag is
 * given. Manifests and configs are verified on read; layers are verified as they stream.
 */
export function readOciLayout(root: string, tag?: string): Promise<LayoutEntry> {
  return guarded(`Reading OCI layout ${root}`, () => readLayout(root, tag));
}

async function readLayout(root: string, tag: string | undefined): Promise<LayoutEntry> {
  let index: ImageIndexManifest;
  try {
    index = await readLayoutIndex(root);
  } catch (cause) {
    throw new TskoError('TSKO_NOT_FOUND', `${root} is not an OCI image layout (no readable index.json).`, {
      cause,
      details: { path: root },
    });
  }
  const candidates = tag ? index.manifests.filter((d) => d.annotations?.[REF_NAME] === tag) : index.manifests;
  if (candidates.length !== 1) {
    const names = index.manifests.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ');
    throw new TskoError(
      'TSKO_NOT_FOUND',
      tag
        ? `OCI layout ${root} has no entry named "${tag}" (it has: ${names || 'nothing'}).`
        : `OCI layout ${root} has ${index.manifests.length} entries (${names}); name one with oci-layout://${root}:<tag>.`,
      { details: { path: root } },
    );
  }
  const descriptor = candidates[0]!;
  const raw = await readBlob(root, descriptor.digest);
  if (isIndexMediaType(descriptor.mediaType)) {
    return {
      kind: 'index',
      manifest: parseIndexManifest(raw, `${root} index`),
      rawManifest: raw,
      descriptor,
      load: (child) => loadImage(root, child.digest),
    };
  }
  return { kind: 'image', image: await imageFromRaw(root, raw), descriptor };
}

async function readBlob(root: string, digest: Digest): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(root, digest));
  } catch (cause) {
    throw new TskoError('TSKO_NOT_FOUND', `OCI layout ${root} is missing blob ${digest}.`, { cause });
  }
  verifyBytes(bytes, digest, `Blob ${digest} in ${root}`);
  return bytes;
}

async function loadImage(root: string, digest: Digest): Promise<Image> {
  return imageFromRaw(root, await readBlob(root, digest));
}

async function imageFromRaw(root: string, raw: Buffer): Promise<Image> {
  // Schema first: the config digest becomes a file path next, and must not be sha256:../../x.
  const configDigest = parseImageManifest(raw, `Image in ${root}`).config.digest;
  const config = await readBlob(root, configDigest);
  return Image.fromManifest(
    raw,
    config,
    (d, diffId): Layer => {
      const id: Parameters<typeof streamLayer>[0] = {
        digest: d.digest,
        diffId,
        size: d.size,
        mediaType: d.mediaType,
      };
      if (d.annotations) id.annotations = d.annotations;
      return streamLayer(id, async () => {
        const verifier = new DigestVerifier(d.digest, d.size, `Blob ${d.digest} in ${root}`);
        pipeline(createReadStream(blobPath(root, d.digest)), verifier).catch(() => undefined);
        return verifier;
      });
    },
    `Image in ${root}`,
  );
}
