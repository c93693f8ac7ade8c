import { formatPublishedRef } from '../naming.js';
import { archiveEntries, writeDockerArchive } from '@tsko/registry';
import type { PublishTarget } from './target.js';

/**
 * A docker-archive tarball (absolute `path`). Its reference is the one a push would give,
 * without the tag-only form (ko's publish/tarball.go).
 */
export function tarballTarget(path: string): PublishTarget {
  return {
    kind: 'tarball',
    async write({ image, repository, tags, importPath }, ctx) {
      await writeDockerArchive(path, archiveEntries(image, repository, tags), ctx.runtime.signal);
      ctx.emit({ type: 'sink:written', importPath, sink: 'tarball', target: path });
      return { ref: formatPublishedRef(repository, image.digest, tags, false) };
    },
  };
}
