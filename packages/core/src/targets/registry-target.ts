import {
  headManifest,
  isTskoError,
  listReferrers,
  parseRepository,
  pushImage,
  referenceName,
  type Reference,
  type RegistrySession,
} from '@tsko/registry';
import type { BuildContext } from '../build.js';
import { formatPublishedRef } from '../naming.js';
import { chooseAttachment, sbomArtifact, sbomTag, type SbomAttachment } from '../sbom/attach.js';
import type { AttachedSbom, PublishTarget, TargetImage, TargetWritten } from './target.js';

const probes = new WeakMap<BuildContext, Map<string, Promise<boolean>>>();

/** Whether a registry answers the referrers API, asked once per build context. */
function referrersSupported(ctx: BuildContext, registry: string, probe: () => Promise<boolean>): Promise<boolean> {
  const known = probes.get(ctx) ?? new Map<string, Promise<boolean>>();
  probes.set(ctx, known);
  let answer = known.get(registry);
  if (!answer) {
    answer = probe();
    // A failed probe is not remembered: the next image asks again and reports its own error.
    answer.catch(() => known.delete(registry));
    known.set(registry, answer);
  }
  return answer;
}

/**
 * The registry under `repo`: blobs, manifest and tags, then the SBOMs (by referrers, cosign's
 * tag or both). The reference is ko's: `repo@sha256:…`, `repo:tag@sha256:…`, or `repo:tag`.
 */
export function registryTarget(options: {
  tagOnly: boolean;
  sbomAttachment: SbomAttachment | undefined;
}): PublishTarget {
  return {
    kind: 'registry',
    async write(item: TargetImage, ctx: BuildContext): Promise<TargetWritten> {
      const { image, repository, tags, importPath } = item;
      const target = parseRepository(repository);
      const pushOptions = {
        session: ctx.session,
        concurrency: ctx.runtime.pushConcurrency,
        tags,
        ...(ctx.runtime.signal ? { signal: ctx.runtime.signal } : {}),
        ...(ctx.runtime.onEvent ? { onEvent: ctx.runtime.onEvent } : {}),
      };
      await pushImage(image, target, pushOptions);
      const sboms: AttachedSbom[] = [];
      if (item.sboms.length) {
        // Probed on the image just pushed, so the repository exists (some registries 404 an
        // unknown one), and only when needed: see below. Once per registry and publish: the
        // answer is the registry's, not the repository's.
        let how: Promise<SbomAttachment> | undefined;
        const attachment = () =>
          (how ??= chooseAttachment(options.sbomAttachment, repository, () =>
            referrersSupported(
              ctx,
              target.registry,
              async () => (await listReferrers(target, image.digest, { session: ctx.session })) !== undefined,
            ),
          ));
        const planned = item.sboms.map((sbom) => {
          const artifact = sbomArtifact(sbom.document, sbom.subject.descriptor());
          return { sbom, artifact, tag: sbomTag(sbom.subject.digest) };
        });
        // Left to choose, a republish finds each SBOM under cosign's tag with one HEAD and asks
        // nothing more: it is attached, and found, as a previous run attached it.
        const found =
          options.sbomAttachment === undefined
            ? await Promise.all(planned.map(({ tag }) => headTag({ ...target, tag }, ctx.session)))
            : [];
        for (const [i, { sbom, artifact, tag }] of planned.entries()) {
          const tagged = { ...target, tag };
          const unchanged = found[i]?.digest === artifact.digest;
          const used = unchanged ? 'tag' : await attachment();
          if (!unchanged) {
            // By digest only for `referrers`: the registry lists it by its subject. Under the
            // tag, what the HEAD above found there is the push's answer too: not asked twice.
            const where = used === 'referrers' ? { ...target, digest: artifact.digest } : tagged;
            const headed = found.length ? new Map([[tag, found[i]?.digest]]) : undefined;
            await pushImage(artifact, where, { ...pushOptions, tags: [], ...(headed ? { headed } : {}) });
          }
          const ref =
            used === 'referrers' ? `${referenceName(target)}@${artifact.digest}` : `${referenceName(target)}:${tag}`;
          sboms.push({ subject: sbom.subject.digest, ref, digest: artifact.digest, attachment: used });
          ctx.emit({ type: 'sbom:attached', importPath, subject: sbom.subject.digest, reference: ref });
        }
      }
      const ref = formatPublishedRef(repository, image.digest, tags, options.tagOnly);
      ctx.emit({ type: 'push:done', importPath, ref, digest: image.digest });
      return { ref, sboms };
    },
  };
}

/**
 * What a tag holds. Some registries answer 403 for a manifest that is not there (Artifactory,
 * RTFACT-13797): absent, as pushImage takes it; the push that follows says whether it may write.
 */
async function headTag(ref: Reference, session: RegistrySession) {
  try {
    return await headManifest(ref, { session });
  } catch (err) {
    if (isTskoError(err, 'TSKO_DENIED') && err.status === 403) return undefined;
    throw err;
  }
}
