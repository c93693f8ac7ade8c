// CDK8s in one call: synthesize the App once (cdk8s's own synth, so file names, layout and YAML
// style are cdk8s's), then swap each ko:// scalar in the written text for its digest-pinned
// image. Only the reference's own characters change, so the result is byte for byte what
// `cdk8s synth` would write had the chart named the image itself.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { guarded, TskoError } from '@tsko/registry';
import { koReference, type Occurrence } from './references.js';
import { resolveOccurrences, type ResolveOptions } from './resolve.js';
import { yaml } from './yaml-module.js';

/** The parts of a cdk8s `App` used here (no cdk8s import: any cdk8s 2.x App fits). */
export interface Cdk8sAppLike {
  readonly outdir: string;
  synth(): void;
  synthYaml(): string;
}

export interface SynthResult {
  /** Where the files went (the App's `outdir`). */
  outdir: string;
  /** Files written, relative to `outdir`, in cdk8s's names (`<chart>.k8s.yaml`, …). */
  files: string[];
  /** Every Kubernetes object, resolved, in file then document order. */
  objects: unknown[];
  /** `ko://` reference → the image that replaced it (each built once). */
  images: Map<string, string>;
}

export interface ResolvedApp {
  /** All charts' objects as one YAML stream (as `app.synthYaml()`), resolved. */
  yaml: string;
  objects: unknown[];
  images: Map<string, string>;
}

interface Text {
  source: string;
  text: string;
}

/** Resolves every ko:// scalar across all texts at once: one build per distinct reference. */
async function resolveTexts(texts: readonly Text[], options: ResolveOptions) {
  const edits = texts.map(() => [] as { start: number; end: number; ref: string }[]);
  const occurrences: Occurrence[] = [];
  const { isScalar, parseAllDocuments, visit } = yaml();
  texts.forEach(({ source, text }, i) => {
    for (const doc of parseAllDocuments(text)) {
      if (!('errors' in doc) || doc.errors.length > 0) {
        throw new TskoError('TSKO_YAML_INVALID', `cdk8s wrote YAML that does not parse: ${source}.`, {
          details: { file: source },
        });
      }
      visit(doc, {
        Scalar(_key, node) {
          const reference = koReference(node.value);
          if (!reference || !isScalar(node) || !node.range) return;
          const [start, end] = node.range;
          const line = text.slice(0, start).split('\n').length;
          occurrences.push({
            reference,
            location: `${source}:${line}`,
            replace: (ref) => edits[i]!.push({ start, end, ref }),
          });
        },
      });
    }
  });
  const images = await resolveOccurrences(occurrences, options);
  const resolved = texts.map(({ text }, i) => {
    let out = text;
    // From the end, so earlier ranges stay valid.
    for (const { start, end, ref } of edits[i]!.sort((a, b) => b.start - a.start)) {
      out = out.slice(0, start) + ref + out.slice(end);
    }
    return out;
  });
  return { resolved, images };
}

const objectsOf = (text: string): unknown[] =>
  yaml()
    .parseAllDocuments(text)
    .map((d) => ('toJS' in d ? d.toJS() : null))
    .filter((o) => o !== null && o !== undefined);

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

function checkApp(app: unknown, caller: string): asserts app is Cdk8sAppLike {
  const a = app as Partial<Cdk8sAppLike> | null;
  if (!a || typeof a.synth !== 'function' || typeof a.synthYaml !== 'function' || typeof a.outdir !== 'string') {
    throw new TskoError('TSKO_INVALID_ARGUMENT', `${caller}() takes a cdk8s App (new App() from 'cdk8s').`, {
      details: { field: 'app' },
    });
  }
}

/**
 * `cdk8s synth` with ko:// references built and pinned: synthesizes `app` once into a scratch
 * folder with cdk8s's own `synth()` (its `outdir`, `yamlOutputType` and `outputFileExtension`),
 * builds each distinct reference once, in parallel, and writes the resolved files into the
 * App's `outdir`. Nothing is written when a build fails.
 */
export function synthApp(app: Cdk8sAppLike, options: ResolveOptions = {}): Promise<SynthResult> {
  return guarded('synthApp', async () => {
    checkApp(app, 'synthApp');
    const outdir = app.outdir;
    const scratch = await mkdtemp(join(tmpdir(), 'tsko-cdk8s-'));
    try {
      const writable = app as { outdir: string };
      writable.outdir = scratch;
      try {
        app.synth();
      } finally {
        writable.outdir = outdir;
      }
      const files = await filesUnder(scratch);
      const texts = await Promise.all(
        files.map(async (file) => ({ source: join(outdir, file), text: await readFile(join(scratch, file), 'utf8') })),
      );
      const yamlFile = (file: string) => /\.ya?ml$/i.test(file);
      const yamlTexts = texts.filter((_t, i) => yamlFile(files[i]!));
      const { resolved, images } = await resolveTexts(yamlTexts, options);
      const resolvedBySource = new Map(yamlTexts.map((t, i) => [t.source, resolved[i]!]));
      // Every build has succeeded before dist/ is touched, so a failure leaves it as it was;
      // files are then moved in one at a time (copied where scratch is another filesystem).
      for (const [i, file] of files.entries()) {
        const text = resolvedBySource.get(texts[i]!.source);
        if (text !== undefined) await writeFile(join(scratch, file), text);
      }
      for (const file of files) {
        await mkdir(dirname(join(outdir, file)), { recursive: true });
        await rename(join(scratch, file), join(outdir, file)).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EXDEV') throw err;
          await copyFile(join(scratch, file), join(outdir, file));
        });
      }
      return { outdir, files, objects: resolved.flatMap(objectsOf), images };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

/**
 * The in-memory form, for programs that post-process: synthesizes `app` once
 * (`app.synthYaml()`), builds each distinct reference once and returns the resolved YAML and
 * objects. Writes nothing.
 */
export function resolveApp(app: Cdk8sAppLike, options: ResolveOptions = {}): Promise<ResolvedApp> {
  return guarded('resolveApp', async () => {
    checkApp(app, 'resolveApp');
    const { resolved, images } = await resolveTexts([{ source: '<app.synthYaml()>', text: app.synthYaml() }], options);
    const yaml = resolved[0]!;
    return { yaml, objects: objectsOf(yaml), images };
  });
}
