import { writeFile } from 'node:fs/promises';
import { fileSystemError, type Digest } from '@tsko/registry';

/**
 * The lines ko's `--image-refs` file gets for one published image (publish/recorder.go): its
 * reference, or for an index the index and then each image in it, each as
 * `<repository>@<digest>` (cosign's walk visits the index before its children).
 */
export function imageRefsFor(
  ref: string,
  repository: string,
  digest: Digest,
  children: readonly Digest[] | undefined,
): string[] {
  if (!children) return [ref];
  return [digest, ...children].map((d) => `${repository}@${d}`);
}

/**
 * Writes the references of every publish, in the order they were asked for, one per line, as
 * ko's `--image-refs` does. Nothing published means no file, as in ko.
 */
export async function writeImageRefs(path: string, refs: readonly (readonly string[])[]): Promise<void> {
  if (refs.length === 0) return;
  const text = refs.map((lines) => `${lines.join('\n')}\n`).join('');
  await writeFile(path, text, { mode: 0o644 }).catch((err: unknown) => {
    throw fileSystemError(err, 'options.imageRefsFile', path);
  });
}
