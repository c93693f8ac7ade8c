import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import {
  appendLayers,
  bufferLayer,
  emptyImage,
  ImageIndex,
  pushImage,
  sha256,
  withContainerConfig,
  type Image,
  type Layer,
  type Platform,
} from '@tsko/registry';

/** A real gzipped tar layer with the given files (small; for tests). */
export async function tarLayer(files: Record<string, string | Buffer>, mediaType?: string): Promise<Layer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const [name, content] of Object.entries(files)) {
    p.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
  }
  p.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  const gz = gzipSync(tar);
  return bufferLayer(gz, {
    digest: sha256(gz),
    diffId: sha256(tar),
    size: gz.length,
    ...(mediaType ? { mediaType } : {}),
  });
}

/** An image with `layerCount` distinct layers for `platform`, tagged by `seed` so digests differ. */
export async function testImage(
  seed: string,
  platform: Platform = { os: 'linux', architecture: 'amd64' },
  layerCount = 3,
): Promise<Image> {
  const additions = [];
  for (let i = 0; i < layerCount; i++) {
    additions.push({
      layer: await tarLayer({
        [`layer-${i}.txt`]: `${seed} ${platform.architecture} layer ${i}\n`.repeat(1000 * (i + 1)),
      }),
      history: { created_by: `test layer ${i}` },
    });
  }
  return appendLayers(emptyImage(platform), additions);
}

/**
 * A small two-platform (amd64, arm64) base index like a distroless static image: one layer
 * with a marker file, PATH, a non-root user and a Cmd a ko image must clear. Pushed with
 * tsko's own client; ko and podman read it as they would cgr.dev/chainguard/static.
 */
export async function pushStaticBase(registryHost: string, repo = 'base/static:v1'): Promise<string> {
  const images = [];
  for (const architecture of ['amd64', 'arm64']) {
    const platform = { os: 'linux', architecture };
    const layer = await tarLayer({ 'etc/tsko-base': `base for ${architecture}\n` });
    const image = appendLayers(emptyImage(platform), [
      { layer, history: { created_by: 'test base', created: '2026-01-01T00:00:00Z' } },
    ]);
    images.push({
      image: withContainerConfig(image, (c) => ({
        ...c,
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        Cmd: ['/bin/sh'],
        User: '65532',
      })),
    });
  }
  const ref = `${registryHost}/${repo}`;
  await pushImage(ImageIndex.create(images), ref, { env: { HOME: '/nonexistent' } });
  return ref;
}
