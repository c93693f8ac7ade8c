import { bufferLayer, Image, MediaType, sha256, TskoError, type Descriptor } from '@tsko/registry';

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

/** Where SBOMs go: under cosign's tag, only as referrers (by digest), or both. */
export type SbomAttachment = 'referrers' | 'tag' | 'both';

/**
 * The attachment to use: the caller's, else `referrers` when the registry answers the
 * referrers API and `tag` when it does not (distribution 2.8, most mirrors). Asking for
 * referrers from a registry without the API is `TSKO_REFERRERS_UNSUPPORTED`: the SBOM would
 * be pushed but nobody could find it.
 */
export async function chooseAttachment(
  asked: SbomAttachment | undefined,
  repository: string,
  supportsReferrers: () => Promise<boolean>,
): Promise<SbomAttachment> {
  if (asked === 'tag') return 'tag';
  const supported = await supportsReferrers();
  if (!asked) return supported ? 'referrers' : 'tag';
  if (!supported) {
    throw new TskoError(
      'TSKO_REFERRERS_UNSUPPORTED',
      `sbomAttachment: '${asked}' needs the OCI 1.1 referrers API, but ${repository} answered GET /v2/…/referrers/<digest> with 404. Use sbomAttachment: 'tag', or leave it unset to pick what the registry supports.`,
      { details: { repository } },
    );
  }
  return asked;
}
