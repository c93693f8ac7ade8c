import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';

/**
 * Reads one file out of a layer in a plain-HTTP loopback registry, as bytes (a Go binary,
 * say, for `go version -m`). The layer is read whole: test images only.
 */
export async function fileFromLayer(
  registryHost: string,
  repository: string,
  layerDigest: string,
  path: string,
): Promise<Buffer> {
  const res = await fetch(`http://${registryHost}/v2/${repository}/blobs/${layerDigest}`);
  if (!res.ok) throw new Error(`GET blob ${layerDigest} from ${repository}: ${res.status}`);
  const tar = gunzipSync(Buffer.from(await res.arrayBuffer()));
  const wanted = path.replace(/^\/+/, '');
  let found: Buffer | undefined;
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: unknown) => parts.push(d as Buffer));
      stream.on('end', () => {
        if (h.name.replace(/^\/+/, '') === wanted) found = Buffer.concat(parts);
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(tar);
  });
  if (!found) throw new Error(`${path} is not in layer ${layerDigest}`);
  return found;
}
