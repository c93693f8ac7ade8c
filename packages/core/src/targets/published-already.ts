import { isForeignLayer, type Image, type ImageIndex, type Reference } from '@tsko/registry';
import type { BuildContext } from '../build.js';

/** Config and layer blobs of an image or of every child of an index (foreign layers are never pushed). */
function blobsOf(node: Image | ImageIndex): { digest: Image['digest']; size: number }[] {
  if (node.kind === 'index') return node.children.flatMap((c) => blobsOf(c.image));
  const layers = node.layers.filter((l) => !isForeignLayer(l)).map((l) => ({ digest: l.digest, size: l.size }));
  return [{ digest: node.manifest.config.digest, size: node.rawConfig.length }, ...layers];
}

/**
 * Whether `image` already stands under every name it is about to be pushed to (a republish of
 * an unchanged image): each tag, or its digest when there is no tag, HEADs to the image's
 * digest. Then nothing needs sending, as go-containerregistry's remote.Write (ko's pusher)
 * checks the manifest before writing. The registry guarantees a manifest's blobs exist while
 * it does, so each blob is reported as `blob:skipped`, as a push that found it would. Any
 * failure answers "no": the push then runs and reports the registry's own error.
 */
export async function publishedAlready(
  ctx: BuildContext,
  target: Reference,
  image: Image | ImageIndex,
  tags: readonly string[],
): Promise<boolean> {
  const client = ctx.session.client(target.registry);
  const names = tags.length ? tags : [image.digest];
  try {
    const found = await Promise.all(names.map((n) => client.headManifest(target.repository, n)));
    if (!found.every((m) => m?.digest === image.digest)) return false;
  } catch {
    return false;
  }
  const seen = new Set<string>();
  for (const blob of blobsOf(image)) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    ctx.emit({ type: 'blob:skipped', repository: target.repository, digest: blob.digest, size: blob.size });
  }
  return true;
}
