import { asTskoError, formatPlatform, guarded, TskoError, type Digest } from '@tsko/registry';
import { BuildContext, buildInContext, type BuildResult } from './build.js';
import { stripKoPrefix } from './go/import-path.js';
import { imageRefsFor, writeImageRefs } from './image-refs.js';
import { checkRepoAccess } from './push-preflight.js';
import { checkRepo, formatUnpushedRef, imageRepository } from './naming.js';
import type { PublishOptions } from './options.js';
import { sbomDocuments, writeSbomFiles } from './sbom/documents.js';
import { chooseTargets, isLocalRepo, type ChosenTargets } from './targets/choose-targets.js';
import type { AttachedSbom } from './targets/target.js';

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
  /** Each SBOM attached in the registry: its subject, where it is, its digest and how it was attached. */
  sboms: AttachedSbom[];
  /**
   * What ko's `--image-refs` file lists for this image: `ref`, or for an index
   * `<repository>@<index digest>` and then `<repository>@<digest>` of each platform image.
   */
  imageRefs: string[];
}

// Node 20.4+ defines Symbol.asyncDispose as Symbol.for('nodejs.asyncDispose'); the fallback
// names the same symbol where a runtime leaves it out.
const asyncDispose: typeof Symbol.asyncDispose =
  Symbol.asyncDispose ?? (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose);

/**
 * Publishes import paths one at a time while sharing bases, config, one registry session and
 * concurrency. Close it when done: `await publisher.close()`, or let
 * `await using publisher = await createPublisher(options)` close it at the end of the block.
 */
export interface Publisher {
  /** Builds and publishes one import path; the same path (or the same resolved package) is done once. */
  publish(importPath: string): Promise<PublishResult>;
  /**
   * Waits for the publishes in flight, writes `imageRefsFile`, ends the registry session's
   * requests and removes temporary files (the `cacheDir: false` cache). Closing twice is
   * harmless. Idle connections stay in the process's shared pool; they never keep it alive.
   */
  close(): Promise<void>;
  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
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
  let chosen: ChosenTargets;
  try {
    checkPublishSettings(ctx);
    chosen = chooseTargets(ctx.settings, ctx.runtime);
    // Credentials are checked before the first Go build, not after minutes of compiling.
    if (chosen.registry) await checkRepoAccess(ctx);
  } catch (err) {
    await ctx.close();
    throw err;
  }
  const byRequest = new Map<string, Promise<PublishResult>>();
  const byImportPath = new Map<string, Promise<Omit<PublishResult, 'requested'>>>();
  let closing: Promise<void> | undefined;
  const finish = async () => {
    const settled = await Promise.allSettled(byRequest.values());
    try {
      const refsFile = ctx.runtime.imageRefsFile;
      if (refsFile) {
        const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value.imageRefs] : []));
        await writeImageRefs(refsFile, done);
      }
    } finally {
      await ctx.close();
    }
  };
  const close = () => {
    closing ??= finish();
    return closing;
  };
  return {
    publish(requested: string): Promise<PublishResult> {
      if (closing) {
        return Promise.reject(
          new TskoError(
            'TSKO_INVALID_ARGUMENT',
            `publish(${requested}) after the publisher was closed; create another.`,
          ),
        );
      }
      const key = stripKoPrefix(requested);
      let p = byRequest.get(key);
      if (!p) {
        p = (async () => {
          const built = await buildInContext(ctx, requested);
          let shared = byImportPath.get(built.importPath);
          if (!shared) {
            shared = publishBuilt(ctx, chosen, built);
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
    close,
    [asyncDispose]: close,
  };
}

/** What ko refuses before building anything (publish/default.go, commands/resolver.go). */
function checkPublishSettings({ settings, runtime }: BuildContext): void {
  const { repo } = settings;
  const { push } = runtime;
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

/** Writes one built image to every chosen target, in order, and names it as ko does. */
async function publishBuilt(
  ctx: BuildContext,
  chosen: ChosenTargets,
  built: BuildResult,
): Promise<Omit<PublishResult, 'requested'>> {
  const { settings, runtime } = ctx;
  // Without a repo (push: false), ko names the image by the naming strategy alone.
  const repository = imageRepository(settings.repo ?? '', built.importPath, settings.naming);
  const image = built.image;
  // Each tag once, in order, as ko's makePublisher does (unique(po.Tags)).
  const tags = [...new Set(settings.tags)];
  const sboms = settings.sbom === 'spdx' ? sbomDocuments(built) : [];
  if (runtime.sbomDir && sboms.length) await writeSbomFiles(runtime.sbomDir, sboms);

  const item = { importPath: built.importPath, image, repository, tags, sboms };
  let ref: string | undefined;
  const attached: AttachedSbom[] = [];
  for (const target of chosen.targets) {
    const written = await target.write(item, ctx);
    if (target === chosen.naming) ref = written.ref;
    attached.push(...(written.sboms ?? []));
  }
  // Not written anywhere that names it: ko's stand-in publisher keeps the first tag, latest too (commands/resolver.go).
  ref ??= formatUnpushedRef(repository, image.digest, tags, settings.tagOnly);
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
