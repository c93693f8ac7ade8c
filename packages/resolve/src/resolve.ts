import pLimit from 'p-limit';
import { resolve as resolvePath } from 'node:path';
import { checkExecution, createPublisher, pickPublishOptions, writeImageRefs, type PublishOptions } from '@tsko/core';
import { guarded, parseReference, TskoError } from '@tsko/registry';
import { emitResolve, type ResolveEvent } from './events.js';
import { isFilesInput, readManifestFiles, type FilesInput } from './inputs.js';
import { checkTree, objectOccurrences, selectObjects } from './object-tree.js';
import { KO_PREFIX, type Occurrence } from './references.js';
import { referenceFailure, resolveFailed } from './resolve-failures.js';
import { parseSelector } from './selector.js';
import { parseYamlDocuments, selectYaml, stringifyYaml, yamlOccurrences, type YamlDocument } from './yaml-source.js';

/** Builds one reference (`ko://…` as written, trimmed) and returns the image reference to use. */
export type BuildReference = (reference: string, context: { signal?: AbortSignal }) => Promise<string>;

/** What resolve itself reads; everything else is `@tsko/core`'s {@link PublishOptions}. */
export interface ResolveOwnOptions {
  /** Kubernetes label selector; only matching documents (and List items) are kept. ko's `--selector`. Default: all. */
  selector?: string;
  /** Descend into sub-folders of folder inputs. ko's `--recursive`. Default: `false`. */
  recursive?: boolean;
  /**
   * Builds a reference instead of `@tsko/core`'s publish (tests, custom pipelines). When given,
   * no registry or Go toolchain is needed. Default: core's publish.
   */
  build?: BuildReference;
}

/** Options of `resolveManifests`: resolve's own beside core's publish options, in one object. */
export interface ResolveOptions extends Omit<PublishOptions, 'onEvent'>, ResolveOwnOptions {
  /**
   * Progress: resolve's own events, core's build events and the registry client's. Written as
   * a method so core's options (a handler of core's events) can be passed on as they are.
   */
  onEvent?(event: ResolveEvent): void;
}

// Every key of ResolveOwnOptions, no more and no fewer: the compiler rejects a missing or extra one.
const OWN_KEYS = new Set(
  Object.keys({ selector: 1, recursive: 1, build: 1 } satisfies Record<keyof ResolveOwnOptions, 1>),
);

/** Input: YAML text, files/folders, or Kubernetes objects (e.g. CDK8s `Chart.toJson()`). */
export type ManifestInput = string | FilesInput | readonly unknown[];

function splitResolveOptions(options: ResolveOptions): {
  selector?: string;
  recursive: boolean;
  build?: BuildReference;
  publish: PublishOptions;
} {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TskoError('TSKO_INVALID_ARGUMENT', 'resolve options must be an object.', {
      details: { field: '(options)' },
    });
  }
  if (options.build !== undefined && typeof options.build !== 'function') {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `options.build must be a function (reference) => Promise<string>; got ${typeof options.build}.`,
      { details: { field: 'build' } },
    );
  }
  if (options.selector !== undefined && typeof options.selector !== 'string') {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `options.selector must be a label selector string; got ${typeof options.selector}.`,
      { details: { field: 'selector' } },
    );
  }
  // Checked here too: with a custom build() core never sees these options.
  checkExecution(options as Record<string, unknown>);
  // Core's own schemas say which options are core's; a name neither side knows goes to core,
  // which refuses it with the nearest known name.
  const { publish, rest } = pickPublishOptions(options);
  const unknown = Object.fromEntries(Object.entries(rest).filter(([k]) => !OWN_KEYS.has(k)));
  const out: ReturnType<typeof splitResolveOptions> = {
    recursive: options.recursive ?? false,
    publish: { ...publish, ...unknown },
  };
  if (options.selector !== undefined) out.selector = options.selector;
  if (options.build) out.build = options.build;
  return out;
}

/**
 * Builds every distinct `ko://` reference once (in parallel: with core's publisher in shared Go
 * processes, bounded by `concurrency`; a custom `build` at most `concurrency` at once) and
 * puts each resulting digest-pinned reference in place. A failure names the reference and
 * every place that used it.
 */
export function resolveOccurrences(
  occurrences: readonly Occurrence[],
  options: ResolveOptions,
): Promise<Map<string, string>> {
  return guarded('resolveOccurrences', () => buildOccurrences(occurrences, options));
}

async function buildOccurrences(
  occurrences: readonly Occurrence[],
  options: ResolveOptions,
): Promise<Map<string, string>> {
  const { build: custom, publish } = splitResolveOptions(options);
  const byReference = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
    const list = byReference.get(o.reference) ?? [];
    list.push(o);
    byReference.set(o.reference, list);
  }
  const resolved = new Map<string, string>();
  if (byReference.size === 0) return resolved;
  const empty = byReference.get(KO_PREFIX);
  if (empty) {
    // Before any build, as ko checks every reference first (resolve/resolve.go).
    const where = empty.map((u) => u.location);
    throw new TskoError(
      'TSKO_INVALID_REFERENCE',
      `"ko://" without an import path (at ${where.join(', ')}) is not a valid import path; write ko://<import path of a main package>.`,
      { details: { reference: 'ko://', locations: where } },
    );
  }
  const emit = (e: ResolveEvent) => emitResolve(options.onEvent, e);
  let build = custom;
  let close: (() => Promise<void>) | undefined;
  const imageRefs = new Map<string, string[]>();
  if (!build) {
    // core's publisher writes options.imageRefsFile itself when it closes.
    const publisher = await createPublisher(publish);
    build = async (reference) => {
      const result = await publisher.publish(reference);
      imageRefs.set(reference, result.imageRefs);
      return result.ref;
    };
    close = () => publisher.close();
  }
  // core's publisher bounds go builds and layers by `concurrency` itself, and builds the
  // references that arrive together with one go list and one go build (go-batches.ts): every
  // reference goes to it at once. A custom build is bounded here.
  const limit = pLimit(custom ? (options.concurrency ?? 4) : Number.POSITIVE_INFINITY);
  const failures = new Map<string, TskoError>();
  try {
    await Promise.all(
      [...byReference].map(([reference, uses]) =>
        limit(async () => {
          emit({ type: 'resolve:found', reference, occurrences: uses.length });
          try {
            const ref = checkedImageRef(
              reference,
              await build!(reference, options.signal ? { signal: options.signal } : {}),
            );
            resolved.set(reference, ref);
            emit({ type: 'resolve:resolved', reference, ref, imageRefs: imageRefs.get(reference) ?? [ref] });
          } catch (err) {
            failures.set(
              reference,
              referenceFailure(
                reference,
                uses.map((u) => u.location),
                err,
              ),
            );
          }
        }),
      ),
    );
  } finally {
    await close?.();
  }
  if (custom && publish.imageRefsFile) {
    // A custom build has no publisher to write the file; the references it returned are listed.
    await writeImageRefs(
      resolvePath(publish.dir ?? process.cwd(), publish.imageRefsFile),
      [...byReference.keys()].filter((r) => resolved.has(r)).map((r) => [resolved.get(r)!]),
    );
  }
  if (failures.size) {
    // In the order the references appear, not the order the builds happened to finish.
    throw resolveFailed(
      [...byReference.keys()].flatMap((r) => failures.get(r) ?? []),
      byReference.size,
    );
  }
  for (const o of occurrences) o.replace(resolved.get(o.reference)!);
  return resolved;
}

/**
 * What a build function returned, if it is an image reference; anything else (a number, an
 * object, an empty or multi-line string) would be written into the manifests as is.
 */
function checkedImageRef(reference: string, ref: unknown): string {
  if (typeof ref === 'string' && ref.trim() === ref && ref !== '') {
    try {
      parseReference(ref);
      return ref;
    } catch {
      // Reported below.
    }
  }
  const shown =
    typeof ref === 'string' ? JSON.stringify(ref.slice(0, 200)) : `${typeof ref} ${String(ref).slice(0, 80)}`;
  throw new TskoError(
    'TSKO_INVALID_ARGUMENT',
    `build(${reference}) returned ${shown}, not an image reference such as registry.example.com/app@sha256:….`,
    { details: { reference } },
  );
}

/** Inputs loaded and filtered, with their references and a way to produce the output. */
interface Loaded {
  occurrences: Occurrence[];
  output(): string | unknown[];
}

async function load(
  input: ManifestInput,
  options: Pick<ResolveOptions, 'selector' | 'recursive' | 'signal'>,
): Promise<Loaded> {
  const selector = options.selector !== undefined ? parseSelector(options.selector) : undefined;
  if (Array.isArray(input)) {
    checkTree(input as unknown[]);
    let objects: unknown[];
    try {
      objects = structuredClone(input as unknown[]);
    } catch (cause) {
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `The input objects hold something that is not data (${(cause as Error).message.slice(0, 200)}); pass plain objects, e.g. chart.toJson().`,
        { cause },
      );
    }
    if (selector) objects = selectObjects(objects, selector);
    return { occurrences: objectOccurrences(objects), output: () => objects };
  }
  let docs: YamlDocument[];
  if (typeof input === 'string') docs = parseYamlDocuments(input, '<input>');
  else if (isFilesInput(input)) {
    const files = await readManifestFiles(input, options.recursive ?? false, options.signal);
    docs = files.flatMap((f) => parseYamlDocuments(f.text, f.path));
  } else {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      'resolveManifests takes YAML text, { files: [...] }, or an array of objects.',
    );
  }
  if (selector) docs = docs.filter((d) => selectYaml(d, selector));
  return { occurrences: docs.flatMap(yamlOccurrences), output: () => stringifyYaml(docs) };
}

/**
 * `ko resolve` as a function. Text in → text out (comments, key order, quoting, anchors and
 * document order kept); `{ files }` in → text out (files in input order); objects in → new
 * objects out (the input is not modified).
 */
export function resolveManifests(input: string | FilesInput, options?: ResolveOptions): Promise<string>;
export function resolveManifests<T = unknown>(input: readonly T[], options?: ResolveOptions): Promise<T[]>;
export function resolveManifests(input: ManifestInput, options: ResolveOptions = {}): Promise<string | unknown[]> {
  return guarded('resolveManifests', async () => {
    splitResolveOptions(options);
    const loaded = await load(input, options);
    await resolveOccurrences(loaded.occurrences, options);
    return loaded.output();
  });
}

/** The distinct `ko://` references in an input, in first-seen order (after the selector). */
export function findReferences(
  input: ManifestInput,
  options: Pick<ResolveOptions, 'selector' | 'recursive' | 'signal'> = {},
): Promise<string[]> {
  return guarded('findReferences', async () => [
    ...new Set((await load(input, options)).occurrences.map((o) => o.reference)),
  ]);
}
