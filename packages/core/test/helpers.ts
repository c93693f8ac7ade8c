import { fileURLToPath } from 'node:url';
import {
  appendLayers,
  emptyImage,
  ImageIndex,
  pushImage,
  withContainerConfig,
  type Image,
  type Platform,
} from '@tsko/registry';
import { goTestEnvironment, tarLayer, type TestRegistry } from '@tsko/test-rig';

/** The fixture Go module (see fixtures/app/cmd/server/main.go). */
export const FIXTURE = fileURLToPath(new URL('./fixtures/app', import.meta.url));

/** Environment for Go builds in tests (see the rig's goTestEnvironment). */
export const testEnvironment = goTestEnvironment;

/** A small base image for a platform: one layer with a marker file, PATH set, a Cmd to clear. */
export async function baseImage(platform: Platform, mediaType?: string): Promise<Image> {
  const layer = await tarLayer(
    { 'etc/tsko-base': `base for ${platform.architecture}\n` },
    mediaType ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : undefined,
  );
  const image = appendLayers(emptyImage(platform, mediaType), [{ layer, history: { created_by: 'test base' } }]);
  return withContainerConfig(image, (c) => ({
    ...c,
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
    Cmd: ['/bin/sh'],
    User: '65532',
  }));
}

/** Pushes a two-platform (amd64, arm64) base index to the registry and returns its reference. */
export async function pushBaseIndex(
  registry: TestRegistry,
  repo = 'base/static:v1',
): Promise<{ ref: string; index: ImageIndex }> {
  const index = ImageIndex.create([
    { image: await baseImage({ os: 'linux', architecture: 'amd64' }) },
    { image: await baseImage({ os: 'linux', architecture: 'arm64' }) },
  ]);
  const ref = `${registry.host}/${repo}`;
  await pushImage(index, ref, { env: { HOME: '/nonexistent' } });
  return { ref, index };
}
