import { daemonImage, daemonSocket, loadIntoDaemon, type Digest } from '@tsko/registry';
import { formatDaemonRef, formatUnpushedRef } from '../naming.js';
import type { PublishTarget } from './target.js';

const digestHex = (digest: Digest) => digest.slice(digest.indexOf(':') + 1);

/**
 * A Docker Engine API daemon on a unix socket. As `ko.local` (`local`), ko's publish/daemon.go:
 * an index loads its GOOS/GOARCH image, tagged with every tag and that image's digest hex, and
 * is known as `ko.local/<name>:<hex>`. Otherwise the daemon loads its own platform.
 */
export function daemonTarget(socket: string | undefined, env: NodeJS.ProcessEnv, local: boolean): PublishTarget {
  return {
    kind: 'daemon',
    async write({ image, repository, tags, importPath }, ctx) {
      // Read at write time, as before: a bad DOCKER_HOST fails the daemon load, not the build.
      const path = daemonSocket(socket, env);
      const signal = ctx.runtime.signal ? { signal: ctx.runtime.signal } : {};
      if (local) {
        const platformImage = daemonImage(image, env, importPath);
        await loadIntoDaemon(platformImage, repository, [...tags, digestHex(platformImage.digest)], {
          socket: path,
          ...signal,
        });
        ctx.emit({ type: 'sink:written', importPath, sink: 'daemon', target: path });
        return { ref: formatDaemonRef(repository, platformImage.digest) };
      }
      await loadIntoDaemon(image, repository, tags, { socket: path, ...signal });
      ctx.emit({ type: 'sink:written', importPath, sink: 'daemon', target: path });
      return { ref: formatUnpushedRef(repository, image.digest, tags, false) };
    },
  };
}
