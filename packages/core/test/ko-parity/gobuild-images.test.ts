// Cases ported from ko (github.com/ko-build/ko) pkg/build/gobuild_test.go and the image
// structure its gobuild.go writes (Build, buildAll, buildOne), restated against tsko's build
// and publish with the real Go toolchain, a real registry, skopeo and podman.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { build, publish, type Image, type ImageIndex, type PublishOptions } from '@tsko/core';
import { ImageIndex as Index, MediaType, pushImage, withAnnotations } from '@tsko/registry';
import { skopeoConfig, skopeoRaw, startPodman, startRegistry, type Podman, type TestRegistry } from '@tsko/test-rig';
import { baseImage, FIXTURE, testEnvironment } from '../helpers.js';

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

describe('pkg/build/gobuild_test.go (image structure)', () => {
  let registry: TestRegistry;
  let podman: Podman;
  let single: { ref: string; digest: string };
  let ociIndex: { ref: string; index: ImageIndex };
  let dockerList: { ref: string; index: ImageIndex };
  const noPush = (extra: PublishOptions = {}) => ({
    dir: FIXTURE,
    platforms: 'all' as const,
    environment: testEnvironment(),
    ...extra,
  });

  before(async () => {
    registry = await startRegistry('plain');
    podman = await startPodman([registry.host]);
    const env = { HOME: '/nonexistent' };
    const image = await baseImage(amd64);
    single = {
      ref: `${registry.host}/base/single`,
      digest: (await pushImage(image, `${registry.host}/base/single:latest`, { env })).digest,
    };
    // An OCI index with annotations of its own, which ko does not copy onto the index it makes.
    const oci = Index.create([{ image: await baseImage(amd64) }, { image: await baseImage(arm64) }], {
      annotations: { 'com.example.base-only': 'yes' },
    });
    await pushImage(oci, `${registry.host}/base/oci:v1`, { env });
    ociIndex = { ref: `${registry.host}/base/oci:v1`, index: oci };
    const docker = Index.create(
      [
        { image: await baseImage(amd64, MediaType.DOCKER_MANIFEST) },
        { image: await baseImage(arm64, MediaType.DOCKER_MANIFEST) },
      ],
      { mediaType: MediaType.DOCKER_MANIFEST_LIST },
    );
    await pushImage(docker, `${registry.host}/base/docker:v1`, { env });
    dockerList = { ref: `${registry.host}/base/docker:v1`, index: docker };
  });
  after(async () => {
    await podman?.cleanup();
    await registry?.stop();
  });

  it('TestGoBuild: an image on a single-image base carries base name (tag made explicit) and digest, user annotations, labels and user', async () => {
    const result = await build(
      './cmd/server',
      noPush({
        baseImage: single.ref,
        annotations: { fizz: 'buzz', goodbye: 'world' },
        labels: { foo: 'bar', hello: 'world' },
        user: '1234:1234',
        environment: testEnvironment({ SOURCE_DATE_EPOCH: '5000' }),
      }),
    );
    const image = result.image as Image;
    assert.deepEqual(image.manifest.annotations, {
      [BASE_NAME]: `${single.ref}:latest`,
      [BASE_DIGEST]: single.digest,
      fizz: 'buzz',
      goodbye: 'world',
    });
    const config = image.config;
    assert.deepEqual(config.config?.Entrypoint, ['/ko-app/server']);
    assert.ok(config.config?.Env?.includes('KO_DATA_PATH=/var/run/ko'));
    assert.ok(config.config?.Env?.some((e) => e.startsWith('PATH=') && e.slice(5).split(':').includes('/ko-app')));
    assert.equal(config.created, new Date(5000 * 1000).toISOString().replace('.000', ''));
    assert.deepEqual(config.config?.Labels, { foo: 'bar', hello: 'world' });
    assert.equal(config.config?.User, '1234:1234');
    assert.equal(image.layers.length, 1 + 2, 'base layers + kodata + binary');
  });

  it('TestGoBuildIndex: every child is a ko image on its base platform image, and rebuilding gives the same digest', async () => {
    const first = await build(
      './cmd/server',
      noPush({ baseImage: ociIndex.ref, environment: testEnvironment({ SOURCE_DATE_EPOCH: '5000' }) }),
    );
    const again = await build(
      './cmd/server',
      noPush({ baseImage: ociIndex.ref, environment: testEnvironment({ SOURCE_DATE_EPOCH: '5000' }) }),
    );
    assert.equal(first.image.digest, again.image.digest);
    const index = first.image as ImageIndex;
    assert.equal(index.manifest.manifests.length, 2);
    index.children.forEach((child, i) => {
      const image = child.image as Image;
      assert.equal(image.manifest.annotations?.[BASE_NAME], ociIndex.ref);
      assert.equal(
        image.manifest.annotations?.[BASE_DIGEST],
        ociIndex.index.manifest.manifests[i]!.digest,
        "the child's own base image, not the index",
      );
      assert.deepEqual(image.config.config?.Entrypoint, ['/ko-app/server']);
    });
  });

  it("buildAll: the index carries the caller's annotations and the base index's name and digest, not the base index's own annotations", async () => {
    const result = await build('./cmd/server', noPush({ baseImage: ociIndex.ref, annotations: { fizz: 'buzz' } }));
    assert.deepEqual((result.image as ImageIndex).manifest.annotations, {
      fizz: 'buzz',
      [BASE_NAME]: ociIndex.ref,
      [BASE_DIGEST]: ociIndex.index.digest,
    });
  });

  it('buildAll with one matching platform gives an image whose base digest is that platform image', async () => {
    const result = await build('./cmd/server', noPush({ baseImage: ociIndex.ref, platforms: ['linux/arm64'] }));
    const image = result.image as Image;
    assert.equal(image.kind, 'image');
    assert.equal(image.manifest.annotations?.[BASE_DIGEST], ociIndex.index.manifest.manifests[1]!.digest);
  });

  describe('TestGoBuildConsistentMediaTypes', () => {
    it('docker types: a Docker manifest list base gives Docker images with Docker layers, base annotations included; the registry takes them and podman runs them', async () => {
      const result = await publish('./cmd/server', {
        dir: FIXTURE,
        repo: `${registry.host}/team`,
        naming: 'bare',
        baseImage: dockerList.ref,
        platforms: 'all',
        annotations: { fizz: 'buzz' },
        environment: testEnvironment(),
      });
      assert.equal(result.mediaType, MediaType.DOCKER_MANIFEST_LIST);
      const list = JSON.parse((await skopeoRaw(registry, result.ref)).toString()) as {
        mediaType: string;
        annotations: Record<string, string>;
        manifests: { digest: string }[];
      };
      assert.equal(list.mediaType, MediaType.DOCKER_MANIFEST_LIST);
      assert.deepEqual(list.annotations, {
        fizz: 'buzz',
        [BASE_NAME]: dockerList.ref,
        [BASE_DIGEST]: dockerList.index.digest,
      });
      const childRef = `${registry.host}/team@${list.manifests[0]!.digest}`;
      const child = JSON.parse((await skopeoRaw(registry, childRef)).toString()) as {
        mediaType: string;
        annotations: Record<string, string>;
        layers: { mediaType: string }[];
      };
      assert.equal(child.mediaType, MediaType.DOCKER_MANIFEST);
      assert.deepEqual(child.annotations, {
        [BASE_NAME]: dockerList.ref,
        [BASE_DIGEST]: dockerList.index.manifest.manifests[0]!.digest,
        fizz: 'buzz',
      });
      assert.deepEqual(new Set(child.layers.map((l) => l.mediaType)), new Set([MediaType.DOCKER_LAYER_GZIP]));
      const body = JSON.parse(await podman.runAndFetch(childRef)) as Record<string, string>;
      assert.equal(body.platform, 'linux/amd64');
    });
    it('oci types: an OCI base gives OCI images with OCI layers', async () => {
      const result = await build('./cmd/server', noPush({ baseImage: single.ref }));
      const image = result.image as Image;
      assert.equal(image.mediaType, MediaType.OCI_MANIFEST);
      assert.deepEqual(new Set(image.layers.map((l) => l.mediaType)), new Set([MediaType.OCI_LAYER_GZIP]));
    });
  });

  it("buildOne: history entries carry Go's zero time without SOURCE_DATE_EPOCH / KO_DATA_DATE_EPOCH, and those times with them", async () => {
    const plain = await publish('./cmd/server', {
      dir: FIXTURE,
      repo: `${registry.host}/team`,
      naming: 'baseImportPaths',
      tags: ['history'],
      baseImage: single.ref,
      environment: testEnvironment(),
    });
    const history = (
      (await skopeoConfig(registry, `${registry.host}/team/server@${plain.digest}`)) as {
        history: { created?: string; comment?: string }[];
      }
    ).history.slice(-2);
    assert.deepEqual(
      history.map((h) => [h.comment, h.created]),
      [
        ['kodata contents, at $KO_DATA_PATH', GO_ZERO_TIME],
        ['go build output, at /ko-app/server', GO_ZERO_TIME],
      ],
    );
    const dated = await build(
      './cmd/server',
      noPush({
        baseImage: single.ref,
        environment: testEnvironment({ SOURCE_DATE_EPOCH: '5000', KO_DATA_DATE_EPOCH: '7000' }),
      }),
    );
    assert.deepEqual(
      (dated.image as Image).config.history?.slice(-2).map((h) => h.created),
      ['1970-01-01T01:56:40Z', '1970-01-01T01:23:20Z'],
    );
  });

  it("a base carrying manifest annotations of its own keeps them under ko's (mutate.Annotations merges)", async () => {
    const annotated = withAnnotations(await baseImage(amd64), { 'com.example.from-base': 'kept' });
    await pushImage(annotated, `${registry.host}/base/annotated:v1`, { env: { HOME: '/nonexistent' } });
    const result = await build('./cmd/server', noPush({ baseImage: `${registry.host}/base/annotated:v1` }));
    assert.equal((result.image as Image).manifest.annotations?.['com.example.from-base'], 'kept');
    assert.equal((result.image as Image).manifest.annotations?.[BASE_DIGEST], annotated.digest);
  });
  // Not applicable here: TestGoBuildQualifyImport / IsSupportedRef / BuildEnv / BuildConfig /
  // CreateTemplateData (build settings, ported with the .ko.yaml work), TestDebugger (no delve
  // option), TestGoarm and TestMatchesPlatformSpec (platform matching, ported with the build
  // environment), TestNestedIndex (ko refuses nested base indexes; tsko skips nested entries,
  // listed as a difference), TestGoBuildWithKOCACHE (tsko's cache is content-addressed, see
  // README "Speed"), and the kodata symlink walks (kodata work).
});
