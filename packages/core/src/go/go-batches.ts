import pLimit, { type LimitFunction } from 'p-limit';
import type { GoBinary } from './build-binary.js';
import { buildRound, type BatchBuildRequest } from './build-batch.js';
import {
  type BuildInputs,
  type ListInputsRequest,
  listBuildInputs,
  listFlags,
  listManyBuildInputs,
} from './build-inputs.js';
import { sortedEntries } from './build-key.js';
import { type GoPackage, resolveImportPath } from './import-path.js';
import type { KeyedSteps, ResolutionKey } from './keyed-build.js';
import { type Arrival, Rendezvous, type Ticket } from './rendezvous.js';
import { resolveManyImportPaths } from './resolve-many.js';

/** An import path to resolve, and the signal of the publish asking. */
type ResolveRequest = ResolutionKey & { signal?: AbortSignal | undefined };

/** Splits a round's arrivals by what must agree for one Go process to serve them. */
function groupBy<In, Out>(arrivals: readonly Arrival<In, Out>[], key: (input: In) => unknown): Arrival<In, Out>[][] {
  const groups = new Map<string, Arrival<In, Out>[]>();
  for (const a of arrivals) {
    const k = JSON.stringify(key(a.input));
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  return [...groups.values()];
}

/** One `go list` per folder and environment; a path the listing cannot vouch for is resolved alone. */
async function resolveRound(arrivals: readonly Arrival<ResolveRequest, GoPackage>[]): Promise<void> {
  const alone = (a: Arrival<ResolveRequest, GoPackage>) => {
    const r = a.input;
    return resolveImportPath(r.ref, { dir: r.dir, env: r.env, goBinary: r.goBinary, signal: r.signal }).then(
      a.resolve,
      a.reject,
    );
  };
  const groups = groupBy(arrivals, (r) => [r.goBinary ?? '', r.dir, sortedEntries(r.env)]);
  await Promise.all(
    groups.map(async (group) => {
      const r = group[0]!.input;
      const found =
        group.length > 1
          ? await resolveManyImportPaths(
              group.map((a) => a.input.ref),
              { dir: r.dir, env: r.env, goBinary: r.goBinary, signal: r.signal },
            ).catch(() => group.map(() => undefined))
          : [undefined];
      await Promise.all(group.map((a, i) => (found[i] ? a.resolve(found[i]) : alone(a))));
    }),
  );
}

/** One `go list -deps` per Go tool, folder, environment and file-selecting flags. */
async function listRound(arrivals: readonly Arrival<ListInputsRequest, BuildInputs>[]): Promise<void> {
  const groups = groupBy(arrivals, (r) => [r.program, r.dir, sortedEntries(r.env), listFlags(r.flags), r.vcs]);
  await Promise.all(
    groups.map(async (group) => {
      try {
        const inputs =
          group.length > 1
            ? await listManyBuildInputs(group.map((a) => a.input))
            : [await listBuildInputs(group[0]!.input)];
        for (const [i, a] of group.entries()) a.resolve(inputs[i]!);
      } catch (err) {
        for (const a of group) a.reject(err);
      }
    }),
  );
}

/**
 * The Go processes of one build context, shared by its programs: the builds that happen at
 * the same time (a `publish` of several import paths, the platforms of one) are answered by
 * one `go list` to resolve them, one `go list -deps` to list their inputs, and one `go build`
 * per command line, instead of one of each per program. A program takes a `ProgramPassage`
 * before its first await and goes through the three rounds in order, arriving or leaving at
 * each, so a round runs as soon as no program is still on its way to it.
 */
export class GoBatches {
  private readonly resolutions = new Rendezvous<ResolveRequest, GoPackage>(resolveRound);
  private readonly listings = new Rendezvous<ListInputsRequest, BuildInputs>(listRound);
  private readonly builds: Rendezvous<BatchBuildRequest, GoBinary>;
  private readonly limit: LimitFunction;

  /** `concurrency` bounds the `go build` processes running at once (each uses every core). */
  constructor(cacheRoot: string, concurrency: number) {
    this.limit = pLimit(Math.max(1, concurrency));
    this.builds = new Rendezvous((arrivals) => buildRound(arrivals, cacheRoot, this.limit));
  }

  /** Joins every round for one program; call synchronously, before the program's first await. */
  program(): ProgramPassage {
    return new ProgramPassage(this.resolutions.join(), () => ({
      list: this.listings.join(),
      build: this.builds.join(),
    }));
  }
}

/** One program on its way through the rounds. Close it when the program is done or failed. */
export class ProgramPassage {
  private reserve: { list: Ticket<ListInputsRequest, BuildInputs>; build: Ticket<BatchBuildRequest, GoBinary> };

  constructor(
    private readonly resolution: Ticket<ResolveRequest, GoPackage>,
    private readonly join: () => ProgramPassage['reserve'],
  ) {
    // Held until the program knows its platforms, so no later round runs without it.
    this.reserve = join();
  }

  /** Resolves the import path in this round's `go list`. */
  resolve = (r: ResolveRequest): Promise<GoPackage> => this.resolution.arrive(r);

  /**
   * The import path is named (by a round or a record): the resolution round need not wait while
   * this program loads its base image.
   */
  resolved(): void {
    this.resolution.leave();
  }

  /** One passage per platform build; the program's own place in the later rounds is given up. */
  platforms(count: number): PlatformPassage[] {
    this.resolution.leave();
    const out = Array.from({ length: count }, () => new PlatformPassage(this.join()));
    this.close();
    return out;
  }

  close(): void {
    this.resolution.leave();
    this.reserve.list.leave();
    this.reserve.build.leave();
  }
}

/** One platform build: its inputs are listed, then it is built, each in a shared round. */
export class PlatformPassage implements KeyedSteps {
  constructor(
    private readonly tickets: {
      list: Ticket<ListInputsRequest, BuildInputs>;
      build: Ticket<BatchBuildRequest, GoBinary>;
    },
  ) {}

  listInputs = (request: ListInputsRequest): Promise<BuildInputs> => this.tickets.list.arrive(request);

  build = (request: BatchBuildRequest): Promise<GoBinary> => {
    // Not listing any more: the listing round must not wait for a program already at the build.
    this.tickets.list.leave();
    return this.tickets.build.arrive(request);
  };

  close(): void {
    this.tickets.list.leave();
    this.tickets.build.leave();
  }
}
