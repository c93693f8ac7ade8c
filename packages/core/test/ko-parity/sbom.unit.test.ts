// The SPDX documents of ko's internal/sbom/spdx.go (GenerateImageSPDX, GenerateIndexSPDX) and
// the files its e2e workflow (.github/workflows/e2e.yaml) expects, restated against tsko's
// imageSpdx / indexSpdx. ko has no unit test for this file; the cases here are its behaviour,
// field by field, on in-memory images (no Go, no registry).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageSpdx, indexSpdx } from '@tsko/core';
import { emptyImage, ImageIndex, MediaType, withAnnotations, withCreated, type Image } from '@tsko/registry';

const BASE = `sha256:${'b'.repeat(64)}`;
const BASE_INDEX = `sha256:${'e'.repeat(64)}`;
const GO_VERSION_M = [
  '/ko-app/test: go1.26.0',
  '\tpath\tgithub.com/google/ko/test',
  '\tmod\tgithub.com/google/ko\t(devel)\t',
  '\tdep\tgithub.com/Google/go-containerregistry\tv0.20.0\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  '\tdep\tgolang.org/x/sync\tv0.10.0\th1:3NQrjDixjgGwUOCaF8w2+VYHv0Ve/vGYSbdkTa98gmQ=',
  '\t=>\t../sync\t(devel)\t',
  '\tbuild\tGOOS=linux',
  '',
].join('\n');

interface Doc {
  SPDXID: string;
  name: string;
  creationInfo: { created: string; creators: string[] };
  documentNamespace: string;
  documentDescribes: string[];
  packages: {
    SPDXID: string;
    name: string;
    versionInfo?: string;
    downloadLocation: string;
    primaryPackagePurpose?: string;
    checksums?: { algorithm: string; checksumValue: string }[];
    externalRefs: { referenceLocator: string }[];
  }[];
  relationships?: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}
const id = (digest: string) => `SPDXRef-Package-${digest.replace(':', '-')}`;
const rel = (doc: Doc) =>
  (doc.relationships ?? []).map((r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);

function koImage(platform = { os: 'linux', architecture: 'amd64' }): Image {
  const image = withCreated(emptyImage(platform), new Date(5000 * 1000));
  return withAnnotations(image, {
    'org.opencontainers.image.base.name': '127.0.0.1:5000/base/static:v1',
    'org.opencontainers.image.base.digest': BASE,
  });
}

describe('internal/sbom/spdx.go GenerateImageSPDX', () => {
  const image = koImage();
  const bytes = imageSpdx(image, GO_VERSION_M);
  const doc = JSON.parse(bytes.toString()) as Doc;

  it('describes the image by its digest, dated by the image config, in a document named for the digest', () => {
    assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
    assert.equal(doc.name, `sbom-${image.digest}`);
    assert.deepEqual(doc.documentDescribes, [id(image.digest)]);
    assert.equal(doc.creationInfo.created, '1970-01-01T01:23:20Z');
    assert.equal(doc.packages[0]!.SPDXID, id(image.digest));
    assert.equal(doc.packages[0]!.primaryPackagePurpose, 'CONTAINER');
    assert.equal(
      doc.packages[0]!.externalRefs[0]!.referenceLocator,
      `pkg:oci/image@${image.digest}?mediaType=application%2Fvnd.oci.image.manifest.v1%2Bjson`,
    );
  });

  it('adds the base image as a package the image is DESCENDANT_OF, from its base annotations', () => {
    const base = doc.packages.find((p) => p.SPDXID === id(BASE))!;
    assert.equal(base.name, `127.0.0.1:5000/base/static@${BASE}`);
    assert.equal(base.versionInfo, '127.0.0.1:5000/base/static:v1');
    assert.deepEqual(base.checksums, [{ algorithm: 'SHA256', checksumValue: 'b'.repeat(64) }]);
    assert.equal(
      base.externalRefs[0]!.referenceLocator,
      `pkg:oci/image@${BASE}?repository_url=127.0.0.1%3A5000%2Fbase%2Fstatic&tag=v1`,
    );
    assert.ok(rel(doc).includes(`${id(image.digest)} DESCENDANT_OF ${id(BASE)}`));
  });

  it('the image CONTAINS the main module, which DEPENDS_ON each dependency (replaced ones by their required version)', () => {
    const main = 'SPDXRef-Package-github.com.google.ko-(devel)';
    assert.deepEqual(rel(doc), [
      `SPDXRef-DOCUMENT DESCRIBES ${id(image.digest)}`,
      `${id(image.digest)} DESCENDANT_OF ${id(BASE)}`,
      `${id(image.digest)} CONTAINS ${main}`,
      `${main} DEPENDS_ON SPDXRef-Package-github.com.Google.go-containerregistry-v0.20.0`,
      `${main} DEPENDS_ON SPDXRef-Package-golang.org.x.sync-v0.10.0`,
    ]);
    const mainPkg = doc.packages.find((p) => p.SPDXID === main)!;
    assert.equal(mainPkg.versionInfo, undefined);
    assert.equal(mainPkg.downloadLocation, 'https://github.com/google/ko');
    assert.equal(mainPkg.externalRefs[0]!.referenceLocator, 'pkg:golang/github.com/google/ko@(devel)?type=module');
    const ggcr = doc.packages.find((p) => p.name === 'github.com/Google/go-containerregistry')!;
    assert.equal(
      ggcr.downloadLocation,
      'https://proxy.golang.org/github.com/Google/go-containerregistry/@v/v0.20.0.zip',
    );
    assert.equal(
      ggcr.externalRefs[0]!.referenceLocator,
      'pkg:golang/github.com/google/go-containerregistry@v0.20.0?type=module',
      'first two path elements lower-cased',
    );
    assert.deepEqual(doc.packages.find((p) => p.name === 'golang.org/x/sync')!.checksums, [
      {
        algorithm: 'SHA256',
        checksumValue: Buffer.from('3NQrjDixjgGwUOCaF8w2+VYHv0Ve/vGYSbdkTa98gmQ=', 'base64').toString('hex'),
      },
    ]);
    assert.ok(!doc.packages.some((p) => p.name === 'stdlib'), 'ko lists no stdlib package');
  });

  it('is written as Go writes it: two-space indent, a final newline, the same bytes every time', () => {
    assert.match(bytes.toString(), /^\{\n {2}"SPDXID": "SPDXRef-DOCUMENT",\n {2}"name": /);
    assert.ok(bytes.toString().endsWith('}\n'));
    assert.deepEqual(imageSpdx(koImage(), GO_VERSION_M), bytes);
  });

  it('a base named by digest (Docker Hub, as ko names it) has no tag qualifier', () => {
    const onHub = withAnnotations(emptyImage({ os: 'linux', architecture: 'amd64' }), {
      'org.opencontainers.image.base.name': `index.docker.io/library/golang@${BASE}`,
      'org.opencontainers.image.base.digest': BASE,
    });
    const hubDoc = JSON.parse(imageSpdx(onHub, GO_VERSION_M).toString()) as Doc;
    const base = hubDoc.packages.find((p) => p.SPDXID === id(BASE))!;
    assert.equal(base.name, `index.docker.io/library/golang@${BASE}`);
    assert.equal(
      base.externalRefs[0]!.referenceLocator,
      `pkg:oci/image@${BASE}?repository_url=index.docker.io%2Flibrary%2Fgolang`,
    );
  });

  it('without base annotations (a scratch base) there is no base package, and no config time gives the zero time', () => {
    const bare = JSON.parse(
      imageSpdx(emptyImage({ os: 'linux', architecture: 'amd64' }), GO_VERSION_M).toString(),
    ) as Doc;
    assert.ok(!rel(bare).some((r) => r.includes('DESCENDANT_OF')));
    assert.equal(bare.creationInfo.created, '0001-01-01T00:00:00Z');
  });
});

describe('internal/sbom/spdx.go GenerateIndexSPDX', () => {
  const amd = koImage();
  const arm = koImage({ os: 'linux', architecture: 'arm', variant: 'v7' } as never);
  const index = ImageIndex.create([{ image: amd }, { image: arm }], {
    annotations: {
      'org.opencontainers.image.base.name': '127.0.0.1:5000/base/static:v1',
      'org.opencontainers.image.base.digest': BASE_INDEX,
    },
  });
  const doc = JSON.parse(indexSpdx(index).toString()) as Doc;

  it('the index is VARIANT_OF each platform image (ko uses VARIANT_OF, not CONTAINS) and DESCENDANT_OF the base index', () => {
    assert.deepEqual(rel(doc), [
      `${id(index.digest)} DESCENDANT_OF ${id(BASE_INDEX)}`,
      `${id(index.digest)} VARIANT_OF ${id(amd.digest)}`,
      `${id(index.digest)} VARIANT_OF ${id(arm.digest)}`,
    ]);
  });

  it('describes each platform image with its platform, media type and checksum; dated by the first image', () => {
    assert.equal(doc.creationInfo.created, '1970-01-01T01:23:20Z');
    assert.deepEqual(doc.packages[0]!.checksums, [{ algorithm: 'SHA256', checksumValue: index.digest.slice(7) }]);
    assert.equal(
      doc.packages[0]!.externalRefs[0]!.referenceLocator,
      `pkg:oci/index@${index.digest}?mediaType=application%2Fvnd.oci.image.index.v1%2Bjson`,
    );
    const armPkg = doc.packages.find((p) => p.SPDXID === id(arm.digest))!;
    assert.equal(armPkg.versionInfo, 'linux/arm/v7');
    assert.equal(
      armPkg.externalRefs[0]!.referenceLocator,
      `pkg:oci/image@${arm.digest}?arch=arm&mediaType=${encodeURIComponent(MediaType.OCI_MANIFEST)}&os=linux&variant=v7`,
    );
  });
});
