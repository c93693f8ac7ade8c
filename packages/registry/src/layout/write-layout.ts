import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { canonicalJsonBytes } from '../canonical-json.js';
import { DigestVerifier, type Digest } from '../digest.js';
import { fileSystemError, guarded } from '../error-wrapping.js';
import { isTskoError, TskoError } from '../errors.js';
import { isImage, type Image } from '../image.js';
import { isImageIndex, parseIndexManifest, type ImageIndex } from '../image-index.js';
import { isForeignLayer } from '../layer.js';
import { MediaType } from '../media-types.js';
import type { Descriptor, ImageIndexManifest } from '../schemas.js';
import { withFileLock } from './file-lock.js';
import { blobPath, exists, REF_NAME, replaceFile, uniqueSuffix } from './layout-files.js';

async function writeBlob(root: string, digest: Digest, open: () => Promise<Readable>): Promise<void> {
  const path = blobPath(root, digest);
  if (await exists(path)) return;
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  try {
    // Verify while copying: a layout must never hold a blob under the wrong name.
    await pipeline(await open(), new DigestVerifier(digest, undefined, `Blob ${digest}`), createWriteStream(tmp));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeTree(root: string, node: Image | ImageIndex): Promise<void> {
  if (isImage(node)) {
    for (const layer of node.layers) {
      if (!isForeignLayer(layer)) await writeBlob(root, layer.digest, () => layer.open());
    }
    await writeBlob(root, node.manifest.config.digest, async () => Readable.from([node.rawConfig]));
  } else {
    for (const child of node.children) await writeTree(root, child.image);
  }
  await writeBlob(root, node.digest, async () => Readable.from([node.rawManifest]));
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
  if (!isImage(node) && !isImageIndex(node)) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `writeOciLayout into ${root} needs an Image or ImageIndex (a LazyIndex must have its children loaded first).`,
    );
  }
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
