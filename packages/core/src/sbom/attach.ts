import { bufferLayer, Image, MediaType, sha256, type Descriptor } from '@tsko/registry';

/**
 * The SBOM as an OCI artifact the way ko (through cosign) attaches it: a one-layer manifest
 * whose layer is the SPDX document, pushed at `<repo>:sha256-<hex>.sbom`. Its `subject`
 * points at the image, so registries with the referrers API list it as a referrer too.
 */
export function sbomArtifact(spdx: Buffer, subject: Descriptor): Image {
  const digest = sha256(spdx);
  return Image.create({
    config: { architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [digest] }, config: {} },
    layers: [bufferLayer(spdx, { digest, diffId: digest, size: spdx.length, mediaType: MediaType.SPDX_JSON })],
    mediaType: MediaType.OCI_MANIFEST,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
}

/** cosign's tag for an attachment of `digest`: `sha256-<hex>.sbom`. */
export function sbomTag(digest: string): string {
  return `${digest.replace(':', '-')}.sbom`;
}
