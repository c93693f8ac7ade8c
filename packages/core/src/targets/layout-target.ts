import { formatUnpushedRef } from '../naming.js';
import { writeOciLayout } from '@tsko/registry';
import type { PublishTarget } from './target.js';

/** An OCI image layout folder (absolute `path`); each tag names the image `<repository>:<tag>` in index.json. */
export function layoutTarget(path: string): PublishTarget {
  return {
    kind: 'layout',
    async write({ image, repository, tags, importPath }, ctx) {
      for (const tag of tags) await writeOciLayout(path, image, `${repository}:${tag}`, ctx.runtime.signal);
      ctx.emit({ type: 'sink:written', importPath, sink: 'layout', target: path });
      return { ref: formatUnpushedRef(repository, image.digest, tags, false) };
    },
  };
}
