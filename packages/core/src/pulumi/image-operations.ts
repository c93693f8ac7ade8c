// What the KoImage dynamic provider does, as plain functions of plain data: no Pulumi import, so
// the provider process (which loads this module by name) and unit tests need no engine.
import { isTskoError, type Credential } from '@tsko/registry';
import { formatPublishedRef } from '../naming.js';
import type { PublishOptions } from '../options.js';
import { publish, type PublishResult } from '../publish.js';

/** One registry login, as `@pulumi/docker-build`'s `registries` entries. */
export interface RegistryLogin {
  /** Registry host, e.g. `ghcr.io` or `127.0.0.1:5000` (a scheme or path is ignored). */
  address: string;
  username: string;
  password: string;
}

/**
 * Publish options a Pulumi program can give a KoImage: everything that is plain data. Live
 * objects (event handlers, abort signals, credential callbacks) cannot cross into the
 * provider process; registry logins go in `registries`.
 */
export type KoImageOptions = Omit<PublishOptions, 'onEvent' | 'signal' | 'credentials'>;

/** The resource's inputs after the program resolved them. */
export interface KoImageInputs {
  importPath: string;
  /** Publish options (plain data only: functions cannot cross into the provider process). */
  options?: KoImageOptions;
  registries?: RegistryLogin[];
  /** Set by the program on a preview with `buildOnPreview: false`; never stored. */
  skipBuild?: boolean;
}

/** What `pulumi up` records; a preview shows the same values (computed without pushing). */
export interface KoImageOutputs {
  ref: string;
  digest: string;
  platforms: string[];
  tags: string[];
  repository: string;
}

export type KoImageState = KoImageInputs & Partial<KoImageOutputs>;

const OUTPUT_KEYS = ['ref', 'digest', 'platforms', 'tags', 'repository'] as const;

/** `registries` as a credentials source for publish(): host → username/password. */
export function registryCredentials(registries: readonly RegistryLogin[] = []): Record<string, Credential> {
  const byHost: Record<string, Credential> = {};
  for (const { address, username, password } of registries) {
    const host = String(address)
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0]!
      .toLowerCase();
    byHost[host] = { username, password };
  }
  return byHost;
}

/** The repository part of a reference publish() returned (`repo[:tag][@digest]`). */
export function repositoryOf(ref: string, tags: readonly string[]): string {
  const named = ref.split('@')[0]!;
  const tag = tags[0];
  return tag !== undefined && named.endsWith(`:${tag}`) ? named.slice(0, -tag.length - 1) : named;
}

function outputsOf(result: PublishResult, pushed: boolean, plan: KoImageOptions): KoImageOutputs {
  const repository = repositoryOf(result.ref, result.tags);
  return {
    // Unpushed builds (preview) report the reference that the push will give, not ko's
    // `name:tag@digest` form, so preview and up show the same ref.
    ref: pushed ? result.ref : formatPublishedRef(repository, result.digest, result.tags, plan.tagOnly ?? false),
    digest: result.digest,
    platforms: result.platforms.map((p) => p.platform),
    tags: result.tags,
    repository,
  };
}

/** A TskoError keeps its code in the text: the provider protocol carries only a message. */
function providerError(err: unknown): Error {
  if (isTskoError(err)) return new Error(`${err.code}: ${err.message}`, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

async function run(inputs: KoImageInputs, push: boolean): Promise<KoImageOutputs> {
  const plan = { ...(inputs.options ?? {}) };
  const userPush = plan.push ?? true;
  try {
    const result = await publish(inputs.importPath, {
      ...plan,
      push: push && userPush,
      credentials: registryCredentials(inputs.registries),
    });
    return outputsOf(result, push && userPush, plan);
  } catch (err) {
    throw providerError(err);
  }
}

const stored = (inputs: KoImageState): KoImageInputs => {
  const { skipBuild: _skip, ...rest } = inputs;
  for (const key of OUTPUT_KEYS) delete (rest as Partial<KoImageOutputs>)[key];
  return rest;
};

/**
 * Runs on preview and on up: builds without pushing and adds the outputs, so a preview shows
 * the digest `up` will push (builds are reproducible) and a changed program is seen as a diff.
 */
export async function checkImage(news: KoImageState): Promise<KoImageState> {
  const inputs = stored(news);
  if (news.skipBuild) return inputs;
  return { ...inputs, ...(await run(inputs, false)) };
}

/** Which properties changed; an image is updated in place (pushed again), never replaced. */
export function diffImage(olds: KoImageState, news: KoImageState): { changes: boolean; stables: string[] } {
  // Without a digest (a preview that did not build) nothing tells whether the program changed.
  const changes = news.digest === undefined || JSON.stringify(comparable(olds)) !== JSON.stringify(comparable(news));
  return { changes, stables: [] };
}

const comparable = (state: KoImageState) => {
  const { registries, ...rest } = stored(state);
  return {
    ...rest,
    // Which logins, not their passwords, decide a diff; a rotated password needs no push.
    registries: (registries ?? []).map((r) => [r.address, r.username]),
    ...Object.fromEntries(OUTPUT_KEYS.map((k) => [k, state[k]])),
  };
};

/** Pushes; the digest must be the one check() computed (and a preview showed). */
export async function pushImage(inputs: KoImageState): Promise<KoImageState> {
  const outputs = await run(stored(inputs), true);
  if (inputs.digest !== undefined && inputs.digest !== outputs.digest) {
    throw new Error(
      `TSKO_DIGEST_MISMATCH: ${inputs.importPath} built as ${inputs.digest} on check but as ${outputs.digest} ` +
        'on push; the build is not reproducible (a changing file, -ldflags with a date, or a moving base tag).',
    );
  }
  return { ...stored(inputs), ...outputs };
}
