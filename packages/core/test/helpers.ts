import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendLayers, emptyImage, ImageIndex, pushImage, withContainerConfig, type Image, type Platform } from '@tsko/registry';
import { tarLayer, type TestRegistry } from '@tsko/test-rig';

/** The fixture Go module (see fixtures/app/cmd/server/main.go). */
export const FIXTURE = fileURLToPath(new URL('./fixtures/app', import.meta.url));

/**
 * Environment for builds in tests: a Go build cache shared by all test files (a cold stdlib
 * build costs ~10 s per architecture), no Go proxy, and a HOME without docker credentials.
 */
export function testEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const root = join(tmpdir(), 'tsko-test-go');
  mkdirSync(root, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(root, 'home'),
    GOCACHE: join(root, 'cache'),
    GOPATH: join(root, 'gopath'),
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
    ...extra,
  };
}

/** A small base image for a platform: one layer with a marker file, PATH set, a Cmd to clear. */
export async function baseImage(platform: Platform, mediaType?: string): Promise<Image> {
  const layer = await tarLayer({ 'etc/tsko-base': `base for ${platform.architecture}\n` }, mediaType ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : undefined);
  const image = appendLayers(emptyImage(platform, mediaType), [{ layer, history: { created_by: 'test base' } }]);
  return withContainerConfig(image, (c) => ({ ...c, Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['/bin/sh'], User: '65532' }));
}

/** Pushes a two-platform (amd64, arm64) base index to the registry and returns its reference. */
export async function pushBaseIndex(registry: TestRegistry, repo = 'base/static:v1'): Promise<{ ref: string; index: ImageIndex }> {
  const index = ImageIndex.create([
    { image: await baseImage({ os: 'linux', architecture: 'amd64' }) },
    { image: await baseImage({ os: 'linux', architecture: 'arm64' }) },
  ]);
  const ref = `${registry.host}/${repo}`;
  await pushImage(index, ref, { env: { HOME: '/nonexistent' } });
  return { ref, index };
}
