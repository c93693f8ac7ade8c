import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  asTskoError, fileSystemError, formatPlatform, guarded, listReferrers, parseRepository, pushImage, referenceName, TskoError,
  type Digest, type Image, type ImageIndex, type Platform,
} from '@tsko/registry';
import { BuildContext, buildInContext, type BuildResult } from './build.js';
import { stripKoPrefix } from './go/import-path.js';
import { checkRepoAccess } from './push-preflight.js';
import { imageRepository } from './naming.js';
import type { PublishOptions, SinkSpec } from './options.js';
import { chooseAttachment, sbomArtifact, sbomTag, type SbomAttachment } from './sbom/attach.js';
import { imageSpdx, indexSpdx } from './sbom/spdx.js';
import { archiveEntries, writeDockerArchive } from './sinks/docker-archive.js';
import { daemonSocket, loadIntoDaemon } from './sinks/daemon.js';
import { writeOciLayout } from './sinks/oci-layout.js';

/** What was published for one import path. */
export interface PublishResult {
  /** The import path as given (e.g. `./cmd/api` or `ko://example.com/app/cmd/api`). */
  requested: string;
  /** The full import path `go list` resolved. */
  importPath: string;
  /** Digest-pinned reference as ko prints it: `repo@sha256:…`, `repo:tag@sha256:…` for one non-latest tag, or `repo:tag` with tagOnly. */
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
}

const KO_LOCAL = 'ko.local';

const digestTag = (digest: Digest) => digest.slice(digest.indexOf(':') + 1);

/** ko's printed reference for an image. */
export function formatPublishedRef(repository: string, digest: Digest, tags: readonly string[], tagOnly: boolean): string {
  if (tagOnly) return `${repository}:${tags[0]}`;
  if (tags.length === 1 && tags[0] !== 'latest') return `${repository}:${tags[0]}@${digest}`;
  return `${repository}@${digest}`;
}

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
  if (!ctx.settings.repo && ctx.settings.push) {
    await ctx.close();
    // Fail before any build: there is nowhere to put the result.
    throw new TskoError('TSKO_NO_REPO', 'Nowhere to publish: set options.repo or KO_DOCKER_REPO (e.g. registry.example.com/team), or pass push: false.');
  }
  // Credentials are checked before the first Go build, not after minutes of compiling.
  if (ctx.settings.push) await checkRepoAccess(ctx);
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
      await Promise.allSettled(byRequest.values());
      await ctx.close();
    },
  };
}

/**
 * Builds and publishes Go import paths as ko does: each distinct import path is built once
 * (platforms in parallel, bounded by `concurrency`), pushed to `<repo>/<name>` with its tags
 * and SBOMs, and written to any extra sinks. Pass one path to get one result, or an array.
 */
export function publish(importPath: string, options?: PublishOptions): Promise<PublishResult>;
export function publish(importPaths: readonly string[], options?: PublishOptions): Promise<PublishResult[]>;
export async function publish(importPaths: string | readonly string[], options: PublishOptions = {}): Promise<PublishResult | PublishResult[]> {
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
  const repo = settings.repo ?? KO_LOCAL;
  const repository = imageRepository(repo, built.importPath, settings.naming);
  // Only a repo the user set to ko.local means "load into the daemon"; the ko.local name used
  // for push: false without a repo is just a name.
  const isLocal = settings.repo !== undefined && (repository === KO_LOCAL || repository.startsWith(`${KO_LOCAL}/`));
  const image = built.image;
  const tags = settings.tags;
  const sboms = settings.sbom === 'spdx' ? sbomDocuments(built, repository, settings.created) : [];
  if (settings.sbomDir && sboms.length) await writeSbomFiles(settings.sbomDir, sboms);

  const attached: PublishResult['sboms'] = [];
  if (settings.push && !isLocal) {
    const target = parseRepository(repository);
    const pushOptions = { session: ctx.session, concurrency: settings.pushConcurrency, tags, ...(ctx.exec.signal ? { signal: ctx.exec.signal } : {}), ...(ctx.exec.onEvent ? { onEvent: ctx.exec.onEvent } : {}) };
    await pushImage(image, target, pushOptions);
    if (sboms.length) {
      // Probed on the image just pushed, so the repository exists (some registries 404 an unknown one).
      const how = await chooseAttachment(settings.sbomAttachment, repository, async () => (await listReferrers(target, image.digest, { session: ctx.session })) !== undefined);
      for (const sbom of sboms) {
        const artifact = sbomArtifact(sbom.document, sbom.subject.descriptor());
        const tag = sbomTag(sbom.subject.digest);
        // By digest only for `referrers`: the registry lists it by its subject.
        await pushImage(artifact, how === 'referrers' ? { ...target, digest: artifact.digest } : { ...target, tag }, { ...pushOptions, tags: [] });
        const ref = how === 'referrers' ? `${referenceName(target)}@${artifact.digest}` : `${referenceName(target)}:${tag}`;
        attached.push({ subject: sbom.subject.digest, ref, digest: artifact.digest, attachment: how });
        ctx.emit({ type: 'sbom:attached', importPath: built.importPath, subject: sbom.subject.digest, reference: ref });
      }
    }
  }
  const sinks: SinkSpec[] = [...settings.sinks];
  if (isLocal && !sinks.some((s) => s.type === 'daemon')) sinks.push({ type: 'daemon' });
  for (const sink of sinks) {
    const sinkTags = isLocal && sink.type === 'daemon' && !settings.tagOnly ? [...tags, digestTag(image.digest)] : tags;
    await writeSink(ctx, sink, image, repository, sinkTags, built.importPath);
  }

  // A daemon keeps no manifest digests, so a ko.local image is referred to (as ko does) by a
  // tag made of the digest's hex, which it was also loaded under.
  const ref = isLocal && !settings.tagOnly ? `${repository}:${digestTag(image.digest)}` : formatPublishedRef(repository, image.digest, tags, settings.tagOnly);
  if (settings.push && !isLocal) ctx.emit({ type: 'push:done', importPath: built.importPath, ref, digest: image.digest });
  return {
    importPath: built.importPath,
    ref,
    digest: image.digest,
    tags: [...tags],
    mediaType: image.mediaType,
    platforms: built.platforms.map((p) => ({ platform: formatPlatform(p.platform), digest: p.image.digest })),
    sboms: attached,
  };
}

interface SbomDocument {
  subject: Image | ImageIndex;
  name: string;
  document: Buffer;
}

function sbomDocuments(built: BuildResult, repository: string, created: Date | undefined): SbomDocument[] {
  const docs: SbomDocument[] = built.platforms.map((p) => ({
    subject: p.image,
    name: `${built.appName}-${formatPlatform(p.platform).replace(/[/:]/g, '-')}`,
    document: imageSpdx({ repository, digest: p.image.digest, platform: p.platform, buildInfo: p.buildInfo, ...(created ? { created } : {}), ...baseOf(p.image) }),
  }));
  if (built.image.kind === 'index') {
    const children = built.platforms.map((p): { digest: Digest; platform: Platform } => ({ digest: p.image.digest, platform: p.platform }));
    docs.push({ subject: built.image, name: `${built.appName}-index`, document: indexSpdx({ repository, digest: built.image.digest, children, ...(created ? { created } : {}) }) });
  }
  return docs;
}

/** The base recorded in an image's OCI annotations, for its SBOM (ko lists it too). */
function baseOf(image: Image): { base?: { name: string; digest: string } } {
  const a = image.manifest.annotations ?? {};
  const name = a['org.opencontainers.image.base.name'];
  const digest = a['org.opencontainers.image.base.digest'];
  return name && digest ? { base: { name, digest } } : {};
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

async function writeSink(ctx: BuildContext, sink: SinkSpec, image: Image | ImageIndex, repository: string, tags: readonly string[], importPath: string): Promise<void> {
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
