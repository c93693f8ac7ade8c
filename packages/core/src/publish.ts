import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  archiveEntries,
  asTskoError,
  daemonImage,
  daemonSocket,
  fileSystemError,
  formatPlatform,
  guarded,
  listReferrers,
  loadIntoDaemon,
  parseRepository,
  pushImage,
  referenceName,
  TskoError,
  writeDockerArchive,
  writeOciLayout,
  type Digest,
  type Image,
  type ImageIndex,
} from '@tsko/registry';
import { BuildContext, buildInContext, type BuildResult } from './build.js';
import { stripKoPrefix } from './go/import-path.js';
import { imageRefsFor, writeImageRefs } from './image-refs.js';
import { checkRepoAccess } from './push-preflight.js';
import { checkRepo, formatDaemonRef, formatPublishedRef, formatUnpushedRef, imageRepository } from './naming.js';
import type { PublishOptions, SinkSpec } from './options.js';
import { chooseAttachment, sbomArtifact, sbomTag, type SbomAttachment } from './sbom/attach.js';
import { imageSpdx, indexSpdx } from './sbom/spdx.js';

/** What was published for one import path. */
export interface PublishResult {
  /** The import path as given (e.g. `./cmd/api` or `ko://example.com/app/cmd/api`). */
  requested: string;
  /** The full import path `go list` resolved. */
  importPath: string;
  /**
   * The reference as ko prints it: `repo@sha256:…`, `repo:tag@sha256:…` for one non-latest tag,
   * `repo:tag` with tagOnly; `name:<first tag>@sha256:…` with push: false; and for ko.local
   * `ko.local/name:<hex>`, the digest of the platform image loaded (not of an index).
   */
  ref: string;
  digest: Digest;
  tags: string[];
  mediaType: string;
  /** One entry per platform image (one for a single-platform build). */
  platforms: { platform: string; digest: Digest }[];
  /**
   * Each SBOM pushed: its subject, where it is (`repo:sha256-<hex>.sbom` when tagged, else
   * `repo@<digest>`), its manifest digest and how it was attached (see `sbomAttachment`).
   */
  sboms: { subject: Digest; ref: string; digest: Digest; attachment: SbomAttachment }[];
  /**
   * What ko's `--image-refs` file lists for this image: `ref`, or for an index
   * `<repository>@<index digest>` and then `<repository>@<digest>` of each platform image.
   */
  imageRefs: string[];
}

const KO_LOCAL = 'ko.local';

/** ko's rule (commands/resolver.go): a repo under `ko.local` means "load into the daemon". */
const isLocalRepo = (repo: string | undefined) =>
  repo !== undefined && (repo === KO_LOCAL || repo.startsWith(KO_LOCAL));

const digestTag = (digest: Digest) => digest.slice(digest.indexOf(':') + 1);

/** Publishes import paths one at a time while sharing bases, config and concurrency. */
export interface Publisher {
  /** Builds and publishes one import path; the same path (or the same resolved package) is done once. */
  publish(importPath: string): Promise<PublishResult>;
  /** Waits for the publishes in flight, then removes temporary files (the `cacheDir: false` cache). */
  close(): Promise<void>;
}

/**
 * A publisher for several import paths that share one context, for callers that need each
 * result (or failure) separately, such as `@tsko/resolve`.
 */
export function createPublisher(options: PublishOptions = {}): Promise<Publisher> {
  return guarded('createPublisher', () => openPublisher(options));
}

async function openPublisher(options: PublishOptions): Promise<Publisher> {
  const ctx = await BuildContext.create(options);
  try {
    checkPublishSettings(ctx.settings);
    // Credentials are checked before the first Go build, not after minutes of compiling.
    if (ctx.settings.push) await checkRepoAccess(ctx);
  } catch (err) {
    await ctx.close();
    throw err;
  }
  const refsFile = (options as { imageRefsFile?: string }).imageRefsFile;
  const byRequest = new Map<string, Promise<PublishResult>>();
  const byImportPath = new Map<string, Promise<Omit<PublishResult, 'requested'>>>();
  return {
    publish(requested: string): Promise<PublishResult> {
      const key = stripKoPrefix(requested);
      let p = byRequest.get(key);
      if (!p) {
        p = (async () => {
          const built = await buildInContext(ctx, requested);
          let shared = byImportPath.get(built.importPath);
          if (!shared) {
            shared = publishBuilt(ctx, built);
            byImportPath.set(built.importPath, shared);
          }
          return { ...(await shared), requested };
        })();
        byRequest.set(key, p);
      }
      return p.catch((err: unknown) => {
        throw asTskoError(err, `publish ${requested}`);
      });
    },
    async close() {
      const settled = await Promise.allSettled(byRequest.values());
      try {
        if (refsFile) {
          const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value.imageRefs] : []));
          await writeImageRefs(resolve(ctx.settings.dir, refsFile), done);
        }
      } finally {
        await ctx.close();
      }
    },
  };
}

/** What ko refuses before building anything (publish/default.go, commands/resolver.go). */
function checkPublishSettings(settings: BuildContext['settings']): void {
  const { repo, push } = settings;
  const source = repo !== undefined && settings.env.KO_DOCKER_REPO === repo ? 'KO_DOCKER_REPO' : 'options.repo';
  if (!repo && push) {
    // Fail before any build: there is nowhere to put the result.
    throw new TskoError(
      'TSKO_NO_REPO',
      'Nowhere to publish: set options.repo or KO_DOCKER_REPO (e.g. registry.example.com/team), or pass push: false.',
    );
  }
  if (!repo && settings.naming === 'bare') {
    throw new TskoError(
      'TSKO_NO_REPO',
      "naming: 'bare' names images by the repo alone, and no repo is set: set options.repo or KO_DOCKER_REPO, or use another naming.",
    );
  }
  if (repo && !isLocalRepo(repo)) checkRepo(repo, source);
  if (push && !isLocalRepo(repo) && settings.tagOnly && settings.tags[0] === 'latest') {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      "options.tagOnly: the tag 'latest' cannot be used in a tag-only reference (ko refuses it too); pass tags: ['v1.2.3'].",
      { details: { field: 'tags' } },
    );
  }
}

/**
 * Builds and publishes Go import paths as ko does: each distinct import path is built once
 * (platforms in parallel, bounded by `concurrency`), pushed to `<repo>/<name>` with its tags
 * and SBOMs, and written to any extra sinks. Pass one path to get one result, or an array.
 */
export function publish(importPath: string, options?: PublishOptions): Promise<PublishResult>;
export function publish(importPaths: readonly string[], options?: PublishOptions): Promise<PublishResult[]>;
export async function publish(
  importPaths: string | readonly string[],
  options: PublishOptions = {},
): Promise<PublishResult | PublishResult[]> {
  const publisher = await createPublisher(options);
  try {
    if (typeof importPaths === 'string') return await publisher.publish(importPaths);
    return await Promise.all(importPaths.map((p) => publisher.publish(p)));
  } finally {
    await publisher.close();
  }
}

async function publishBuilt(ctx: BuildContext, built: BuildResult): Promise<Omit<PublishResult, 'requested'>> {
  const { settings } = ctx;
  // Without a repo (push: false), ko names the image by the naming strategy alone.
  const repository = imageRepository(settings.repo ?? '', built.importPath, settings.naming);
  const isLocal = isLocalRepo(settings.repo);
  const image = built.image;
  // Each tag once, in order, as ko's makePublisher does (unique(po.Tags)).
  const tags = [...new Set(settings.tags)];
  const sboms = settings.sbom === 'spdx' ? sbomDocuments(built) : [];
  if (settings.sbomDir && sboms.length) await writeSbomFiles(settings.sbomDir, sboms);

  const attached: PublishResult['sboms'] = [];
  if (settings.push && !isLocal) {
    const target = parseRepository(repository);
    const pushOptions = {
      session: ctx.session,
      concurrency: settings.pushConcurrency,
      tags,
      ...(ctx.exec.signal ? { signal: ctx.exec.signal } : {}),
      ...(ctx.exec.onEvent ? { onEvent: ctx.exec.onEvent } : {}),
    };
    await pushImage(image, target, pushOptions);
    if (sboms.length) {
      // Probed on the image just pushed, so the repository exists (some registries 404 an unknown one).
      const how = await chooseAttachment(
        settings.sbomAttachment,
        repository,
        async () => (await listReferrers(target, image.digest, { session: ctx.session })) !== undefined,
      );
      for (const sbom of sboms) {
        const artifact = sbomArtifact(sbom.document, sbom.subject.descriptor());
        const tag = sbomTag(sbom.subject.digest);
        // By digest only for `referrers`: the registry lists it by its subject.
        await pushImage(artifact, how === 'referrers' ? { ...target, digest: artifact.digest } : { ...target, tag }, {
          ...pushOptions,
          tags: [],
        });
        const ref =
          how === 'referrers' ? `${referenceName(target)}@${artifact.digest}` : `${referenceName(target)}:${tag}`;
        attached.push({ subject: sbom.subject.digest, ref, digest: artifact.digest, attachment: how });
        ctx.emit({ type: 'sbom:attached', importPath: built.importPath, subject: sbom.subject.digest, reference: ref });
      }
    }
  }
  // ko.local loads one platform image and names it by that image's digest (publish/daemon.go).
  const local = isLocal ? daemonImage(image, settings.env, built.importPath) : undefined;
  const sinks: SinkSpec[] = [...settings.sinks];
  if (local && !sinks.some((s) => s.type === 'daemon')) sinks.push({ type: 'daemon' });
  for (const sink of sinks) {
    if (local && sink.type === 'daemon')
      await writeSink(ctx, sink, local, repository, [...tags, digestTag(local.digest)], built.importPath);
    else await writeSink(ctx, sink, image, repository, tags, built.importPath);
  }

  const ref = local
    ? formatDaemonRef(repository, local.digest)
    : publishedRef(settings, repository, image.digest, tags);
  if (settings.push && !isLocal)
    ctx.emit({ type: 'push:done', importPath: built.importPath, ref, digest: image.digest });
  return {
    importPath: built.importPath,
    ref,
    digest: image.digest,
    tags: [...tags],
    mediaType: image.mediaType,
    platforms: built.platforms.map((p) => ({ platform: formatPlatform(p.platform), digest: p.image.digest })),
    sboms: attached,
    imageRefs: imageRefsFor(
      ref,
      repository,
      image.digest,
      image.kind === 'index' ? built.platforms.map((p) => p.image.digest) : undefined,
    ),
  };
}

/** The reference ko prints for an import path pushed to a registry, or not pushed at all. */
function publishedRef(
  settings: BuildContext['settings'],
  repository: string,
  digest: Digest,
  tags: readonly string[],
): string {
  if (settings.push) return formatPublishedRef(repository, digest, tags, settings.tagOnly);
  // Not pushed: a tarball sink names it as a push would (publish/tarball.go, no tag-only form);
  // otherwise ko's stand-in publisher keeps the first tag, latest too (commands/resolver.go).
  if (settings.sinks.some((s) => s.type === 'tarball')) return formatPublishedRef(repository, digest, tags, false);
  return formatUnpushedRef(repository, digest, tags, settings.tagOnly);
}

interface SbomDocument {
  subject: Image | ImageIndex;
  name: string;
  document: Buffer;
}

/** ko's SBOMs: one per platform image (`<app>-<os>-<arch>`), one for an index (`<app>-index`). */
function sbomDocuments(built: BuildResult): SbomDocument[] {
  const docs: SbomDocument[] = built.platforms.map((p) => ({
    subject: p.image,
    name: `${built.appName}-${formatPlatform(p.platform).replace(/[/:]/g, '-')}`,
    document: imageSpdx(p.image, p.buildInfo),
  }));
  if (built.image.kind === 'index')
    docs.push({ subject: built.image, name: `${built.appName}-index`, document: indexSpdx(built.image) });
  return docs;
}

async function writeSbomFiles(dir: string, docs: readonly SbomDocument[]): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw fileSystemError(err, 'options.sbomDir', dir);
  });
  for (const doc of docs) {
    const file = join(dir, `${doc.name}.spdx.json`);
    await writeFile(file, doc.document).catch((err: unknown) => {
      throw fileSystemError(err, 'SBOM file (options.sbomDir)', file);
    });
  }
}

async function writeSink(
  ctx: BuildContext,
  sink: SinkSpec,
  image: Image | ImageIndex,
  repository: string,
  tags: readonly string[],
  importPath: string,
): Promise<void> {
  const { settings } = ctx;
  if (sink.type === 'layout') {
    const path = resolve(settings.dir, sink.path);
    for (const tag of tags) await writeOciLayout(path, image, `${repository}:${tag}`, ctx.exec.signal);
    ctx.emit({ type: 'sink:written', importPath, sink: 'layout', target: path });
  } else if (sink.type === 'tarball') {
    const path = resolve(settings.dir, sink.path);
    await writeDockerArchive(path, archiveEntries(image, repository, tags), ctx.exec.signal);
    ctx.emit({ type: 'sink:written', importPath, sink: 'tarball', target: path });
  } else {
    const socket = daemonSocket(sink.socket, settings.env);
    await loadIntoDaemon(image, repository, tags, { socket, ...(ctx.exec.signal ? { signal: ctx.exec.signal } : {}) });
    ctx.emit({ type: 'sink:written', importPath, sink: 'daemon', target: socket });
  }
}
