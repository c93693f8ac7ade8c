import { join } from 'node:path';
import { formatPlatform, type Layer, type Platform, type RegistrySession } from '@tsko/registry';
import type { CoreEvent } from '../events.js';
import { stampsHold, type FileStamp } from '../go/file-stamps.js';
import { appFilename, goBuildEnv } from '../go/build-binary.js';
import { stripKoPrefix, type GoPackage } from '../go/import-path.js';
import { sortedEntries } from '../go/build-key.js';
import { goProgram } from '../go/run-go.js';
import {
  binaryLayerRecipe,
  buildTag,
  contentTag,
  goFacts,
  insideProject,
  portableEnv,
  resolutionTag,
  type GoFacts,
} from './portable-key.js';
import {
  absentAbove,
  currentStates,
  InputHasher,
  inputsHold,
  portableInputs,
  resolutionPaths,
} from './portable-inputs.js';
import type { BuildRecord } from './share-record.js';
import { CacheRepository, type CachedBuild, type EventBase } from './cache-repository.js';
import { copyLayer } from './layer-copy.js';
import type { SharedBinary } from '../go/keyed-build.js';
import type { BlobStore } from '../layers/blob-store.js';

/** `buildCache`, the execution option: a repository of build records other machines share. */
export interface BuildCacheSettings {
  repo: string;
  write: boolean;
}

/** Where an import path is resolved from (keyed-build.ts's ResolutionKey). */
export interface ShareResolution {
  ref: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  goBinary?: string | undefined;
}

/** One platform build as the shared cache keys it (the parts build.ts holds). */
export interface ShareBuild {
  pkg: GoPackage;
  platform: Platform;
  /** The build folder (absolute). */
  dir: string;
  /** The call's environment, and the build's own `KEY=value` entries over it (as goBuildEnv). */
  baseEnv: NodeJS.ProcessEnv;
  env: readonly string[];
  goBinary?: string | undefined;
  flags: readonly string[];
  ldflags: readonly string[];
  capabilities?: Uint8Array | undefined;
  resolution: ShareResolution;
}

/** A ShareBuild with what is derived from it once. */
interface Query extends ShareBuild {
  goEnv: NodeJS.ProcessEnv;
  program: string;
  appName: string;
}

/** The shared cache's view of one platform build: asked before `go build`, told after it. */
export interface PlatformShare {
  /** A build with these inputs, its layer copied into the local blob store (see SharedBinary). */
  find(): Promise<SharedBinary | undefined>;
  store(inputs: { paths: string[]; stamps: FileStamp[] }, buildInfo: string, layer: Layer): Promise<Layer>;
}

type Keyed = { tag: string } | { unshareable: string };

/**
 * The shared half of input-keyed builds for one build or publish call: reads records other
 * machines stored in the cache repository (an OCI artifact per build, tagged by its portable
 * key), and stores this machine's builds. Nothing here fails the call: a record that does not
 * hold is a miss, a registry that fails turns the cache off for the rest of the call, and each
 * outcome is a `build:shared-cache` event.
 */
export class SharedBuilds {
  private readonly cache: CacheRepository;
  private readonly hasher = new InputHasher();
  private readonly facts = new Map<string, Promise<GoFacts | undefined>>();

  constructor(
    readonly settings: BuildCacheSettings,
    private readonly projectDir: string,
    session: RegistrySession,
    private readonly store: BlobStore,
    private readonly emit: (event: CoreEvent) => void,
    private readonly signal?: AbortSignal,
    pushConcurrency = 4,
  ) {
    this.cache = new CacheRepository(settings.repo, session, emit, signal, pushConcurrency);
  }

  /** The hooks for one platform build (see keyed-build.ts and build.ts). */
  forBuild(b: ShareBuild): PlatformShare {
    const goEnv = goBuildEnv(b.platform, b.baseEnv, b.env);
    const q: Query = { ...b, goEnv, program: goProgram(b.goBinary, b.baseEnv), appName: appFilename(b.pkg.importPath) };
    return {
      find: () => this.find(q),
      store: (inputs, buildInfo, layer) => this.storeBuild(q, inputs, buildInfo, layer),
    };
  }

  /** The package an import path names, from a record whose package folder and module files hold. */
  async resolve(r: ShareResolution): Promise<GoPackage | undefined> {
    const keyed = await this.resolutionKey(r);
    if (!('tag' in keyed)) return undefined;
    const event = { type: 'build:shared-cache', importPath: stripKoPrefix(r.ref) } as const;
    const names = async (found: CachedBuild | undefined) => {
      if (!found || found.record.resolution.tag !== keyed.tag) return false;
      const { inputs, package: pkg } = found.record;
      return inputsHold(this.projectDir, inputs, this.hasher, resolutionPaths(inputs, pkg.dir));
    };
    const latest = await this.cache.read(keyed.tag, event);
    const read = (await names(latest)) ? latest : latest && (await this.byContent(latest.record, event));
    if (!read || !(await names(read))) return undefined;
    const pkg = read.record.package;
    this.emit({ type: 'build:shared-cache', result: 'resolved', importPath: pkg.importPath, tag: keyed.tag });
    const out: GoPackage = {
      importPath: pkg.importPath,
      name: pkg.name,
      dir: join(this.projectDir, ...pkg.dir.split('/')),
    };
    if (pkg.module) out.module = pkg.module;
    return out;
  }

  /**
   * The binary layer of a build with these inputs stored by any machine, when every input
   * holds here, copied into the local blob store. A layer that is not the blob its record
   * names, or cannot be read, is a miss: the program is then built here.
   */
  private async find(b: Query): Promise<SharedBinary | undefined> {
    const platform = formatPlatform(b.platform);
    const keyed = await this.buildKey(b);
    if (!('tag' in keyed)) return undefined;
    const event = { type: 'build:shared-cache', importPath: b.pkg.importPath, platform, tag: keyed.tag } as const;
    const read = await this.cache.read(keyed.tag, event);
    if (!read) {
      if (!this.cache.off) this.emit({ ...event, result: 'miss', reason: 'no record under this key' });
      return undefined;
    }
    const other = async () => {
      const byContent = await this.byContent(read.record, event);
      return byContent && (await this.holds(byContent.record, keyed.tag, b)) ? byContent : undefined;
    };
    const found = (await this.holds(read.record, keyed.tag, b)) ? read : await other();
    if (!found) {
      this.emit({ ...event, result: 'miss', reason: 'an input differs from the record' });
      return undefined;
    }
    const { record } = found;
    const copy = await copyLayer(found.layer(record.diffId), this.store, this.signal);
    if ('failed' in copy) {
      this.emit({ ...event, result: 'miss', reason: `the binary layer could not be copied here: ${copy.failed}` });
      return undefined;
    }
    this.emit({ ...event, result: 'hit' });
    return {
      layer: copy.layer,
      blobPath: copy.path,
      recipe: binaryLayerRecipe(b.capabilities),
      buildInfo: record.buildInfo,
      inputs: Object.keys(record.inputs).map((rel) => join(this.projectDir, ...rel.split('/'))),
      stillHolds: async (stamps) => {
        // `holds` hashed every input with this.hasher, stamping each just before: one whose
        // stamp is still that one holds what was hashed, and only the others are read again.
        const taken = new Map(stamps.map((s) => [s.path, s.stamp]));
        const at = (rel: string) => join(this.projectDir, ...rel.split('/'));
        const names = Object.keys(record.inputs);
        const same = await Promise.all(names.map((rel) => this.hasher.hashedAs(at(rel), taken.get(at(rel)) ?? '')));
        const fresh = new InputHasher();
        return (
          (await inputsHold(
            this.projectDir,
            record.inputs,
            fresh,
            names.filter((_, i) => !same[i]),
          )) && (await absentAbove(this.projectDir, record.absentAbove, fresh))
        );
      },
    };
  }

  /** Whether a record is this build's and every input it lists holds in this checkout. */
  private async holds(record: BuildRecord, tag: string, b: Query): Promise<boolean> {
    const samePackage =
      record.tag === tag &&
      record.package.importPath === b.pkg.importPath &&
      insideProject(this.projectDir, b.pkg.dir) === record.package.dir;
    return (
      samePackage &&
      (await inputsHold(this.projectDir, record.inputs, this.hasher)) &&
      (await absentAbove(this.projectDir, record.absentAbove, this.hasher))
    );
  }

  /** The record stored for what this checkout holds at the paths the latest record lists (see contentTag). */
  private async byContent(latest: BuildRecord, event: EventBase): Promise<CachedBuild | undefined> {
    const now = await currentStates(this.projectDir, Object.keys(latest.inputs), this.hasher);
    return now && this.cache.read(contentTag(latest.tag, now), event);
  }

  /**
   * Stores a build that ran here: its inputs as read before `go build` (`stamps` must still
   * hold after hashing, or an edit during the build would be recorded against the wrong
   * binary) and its binary layer. Returns the layer to put in the image: once stored, with
   * the cache as its source, so a push to the same registry mounts it instead of uploading.
   */
  private async storeBuild(
    b: Query,
    inputs: { paths: string[]; stamps: FileStamp[] },
    buildInfo: string,
    layer: Layer,
  ): Promise<Layer> {
    if (!this.settings.write || this.cache.off) return layer;
    const platform = formatPlatform(b.platform);
    const event = { type: 'build:shared-cache', importPath: b.pkg.importPath, platform } as const;
    const keyed = await this.buildKey(b);
    if (!('tag' in keyed)) {
      this.emit({ ...event, result: 'unshareable', reason: keyed.unshareable });
      return layer;
    }
    const facts = (await this.goFacts(b.program, b.dir, b.goEnv))!;
    // Hashed afresh: a state remembered from an earlier lookup may predate the stamps.
    const portable = await portableInputs(inputs.paths, this.projectDir, facts.GOENV, new InputHasher());
    if ('unshareable' in portable || !(await stampsHold(inputs.stamps))) {
      const reason = 'unshareable' in portable ? portable.unshareable : 'an input changed while go build ran';
      this.emit({ ...event, result: 'unshareable', tag: keyed.tag, reason });
      return layer;
    }
    const resolution = await this.resolutionKey(b.resolution);
    const resolutionTags = 'tag' in resolution ? [resolution.tag] : [];
    const record: BuildRecord = {
      tag: keyed.tag,
      package: {
        importPath: b.pkg.importPath,
        name: b.pkg.name,
        dir: insideProject(this.projectDir, b.pkg.dir) ?? '.',
        module: b.pkg.module,
      },
      resolution: { ref: stripKoPrefix(b.resolution.ref), tag: resolutionTags[0] ?? '' },
      ...portable,
      buildInfo,
      diffId: layer.diffId,
    };
    return this.cache.write(record, layer, [contentTag(keyed.tag, portable.inputs), ...resolutionTags], event);
  }

  private goFacts(program: string, dir: string, env: NodeJS.ProcessEnv): Promise<GoFacts | undefined> {
    const key = JSON.stringify([program, dir, sortedEntries(env)]);
    let p = this.facts.get(key);
    if (!p) {
      p = goFacts(program, dir, env, this.signal);
      this.facts.set(key, p);
    }
    return p;
  }

  private async portable(
    program: string,
    dir: string,
    env: NodeJS.ProcessEnv,
  ): Promise<{ rel: string; env: string[]; goVersion: string } | { unshareable: string }> {
    const facts = await this.goFacts(program, dir, env);
    if (!facts) return { unshareable: '`go env` failed' };
    const rel = insideProject(this.projectDir, dir);
    if (!rel) return { unshareable: `the build folder ${dir} lies outside the project folder` };
    const portable = portableEnv(env, facts, this.projectDir);
    if (typeof portable === 'string') return { unshareable: portable };
    return { rel, env: portable, goVersion: facts.GOVERSION };
  }

  private async buildKey(b: Query): Promise<Keyed> {
    const p = await this.portable(b.program, b.dir, b.goEnv);
    if ('unshareable' in p) return p;
    const tag = buildTag({
      importPath: b.pkg.importPath,
      platform: b.platform,
      dir: p.rel,
      env: p.env,
      goVersion: p.goVersion,
      flags: b.flags,
      ldflags: b.ldflags,
      appName: b.appName,
      capabilities: b.capabilities ? Buffer.from(b.capabilities).toString('hex') : '',
    });
    return { tag };
  }

  private async resolutionKey(r: ShareResolution): Promise<Keyed> {
    const p = await this.portable(goProgram(r.goBinary, r.env), r.dir, r.env);
    if ('unshareable' in p) return p;
    return { tag: resolutionTag({ ref: stripKoPrefix(r.ref), dir: p.rel, env: p.env, goVersion: p.goVersion }) };
  }
}
