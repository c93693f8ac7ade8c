import type { CoreEvent } from '../events.js';
import { formatBytes, formatDuration, shortDigest } from './format.js';
import { StatusLine } from './status-line.js';

/**
 * `@tsko/resolve`'s events, described by shape so that core does not import resolve (the
 * layering runs resolve → core). `ResolveEvent` is assignable to this (checked by a test).
 */
export type ResolveEventShape =
  | { type: 'resolve:found'; reference: string; occurrences: number }
  | { type: 'resolve:resolved'; reference: string; ref: string };

/** Every event a reporter understands: core's, the registry client's and resolve's. */
export type ReporterEvent = CoreEvent | ResolveEventShape;

/** Where and how a `consoleReporter` writes. */
export interface ConsoleReporterOptions {
  /** Where to write (default `process.stderr`, so stdout stays free for the result). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /**
   * Rewrite one status line with per-blob byte progress. Default: whether `stream` is a
   * terminal. Without it, only one line per step is written (logs, CI).
   */
  tty?: boolean;
  /** Also write each line go prints while it builds (default true). */
  goOutput?: boolean;
}

/** What the summary counts; also returned by `summary()` for callers that log it their own way. */
export interface ReporterTotals {
  /** Distinct images or indexes built (`image:built`). */
  images: number;
  /** Platform builds done (`build:done`). */
  platformBuilds: number;
  /** References pushed (`push:done`), in order. */
  pushed: string[];
  uploaded: { blobs: number; bytes: number };
  mounted: { blobs: number; bytes: number };
  skipped: { blobs: number; bytes: number };
  manifests: number;
  retries: number;
  /** Milliseconds since the reporter was created. */
  durationMs: number;
}

/** An `onEvent` handler that prints progress, plus `summary()` to print the totals at the end. */
export interface ConsoleReporter {
  (event: ReporterEvent): void;
  /**
   * Writes the final summary (what was built, pushed, mounted, skipped; bytes; time) and
   * returns the totals. Call it once the publish (or resolve) has settled; a failed run
   * gets a summary too.
   */
  summary(): ReporterTotals;
}

/**
 * A ready `onEvent` handler: one line per step on a plain stream, per-blob byte progress on
 * a terminal, go's own output as it builds, and a summary when you call `summary()`:
 *
 * ```ts
 * const reporter = consoleReporter();
 * try { await publish('./cmd/api', { repo, onEvent: reporter }); } finally { reporter.summary(); }
 * ```
 */
export function consoleReporter(options: ConsoleReporterOptions = {}): ConsoleReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const goOutput = options.goOutput ?? true;
  const started = Date.now();
  const totals: Omit<ReporterTotals, 'durationMs'> = {
    images: 0,
    platformBuilds: 0,
    pushed: [],
    retries: 0,
    manifests: 0,
    uploaded: { blobs: 0, bytes: 0 },
    mounted: { blobs: 0, bytes: 0 },
    skipped: { blobs: 0, bytes: 0 },
  };
  const status = tty ? new StatusLine(stream) : undefined;
  const line = (text: string) => (status ? status.print(text) : stream.write(`${text}\n`));

  const reporter = ((event: ReporterEvent) => {
    const text = render(event, totals, goOutput);
    if (status && (event.type === 'blob:uploading' || event.type === 'blob:done')) status.blob(event);
    if (text !== undefined) line(text);
  }) as ConsoleReporter;
  reporter.summary = () => {
    status?.clear();
    const result: ReporterTotals = { ...totals, pushed: [...totals.pushed], durationMs: Date.now() - started };
    for (const text of summaryLines(result)) stream.write(`${text}\n`);
    return result;
  };
  return reporter;
}

/** The line for one event (undefined: nothing to say), counting it in `totals`. */
function render(e: ReporterEvent, totals: Omit<ReporterTotals, 'durationMs'>, goOutput: boolean): string | undefined {
  switch (e.type) {
    case 'build:start':
      return `build     ${e.importPath} ${e.platform}`;
    case 'build:reused':
      return `reused    ${e.importPath} ${e.platform} (inputs unchanged, go did not run)`;
    case 'build:output':
      return goOutput ? `  go: ${e.line}` : undefined;
    case 'layer:built':
    case 'layer:cached':
      return `layer     ${e.importPath} ${e.platform} ${e.layer} ${shortDigest(e.digest)} ${formatBytes(e.size)}${e.type === 'layer:cached' ? ' (cached)' : ''}`;
    case 'build:debug-unsupported':
      return `warning   ${e.importPath} ${e.platform}: Delve does not run here; built without the debugger`;
    case 'build:shared-cache':
      return `cache     ${e.importPath}${e.platform ? ` ${e.platform}` : ''} ${e.result}${e.reason ? `: ${e.reason}` : ''}`;
    case 'build:done':
      totals.platformBuilds++;
      return `built     ${e.importPath} ${e.platform} in ${formatDuration(e.durationMs)}`;
    case 'image:built':
      totals.images++;
      return `image     ${e.importPath} ${e.digest}`;
    case 'blob:skipped':
      count(totals.skipped, e.size);
      return `exists    ${e.repository} ${shortDigest(e.digest)} ${formatBytes(e.size)}`;
    case 'blob:mounted':
      count(totals.mounted, e.size);
      return `mounted   ${e.repository} ${shortDigest(e.digest)} ${formatBytes(e.size)} from ${e.from}`;
    case 'blob:uploading':
      return undefined; // bytes in flight: the terminal's status line shows them
    case 'blob:done':
      count(totals.uploaded, e.size);
      return `uploaded  ${e.repository} ${shortDigest(e.digest)} ${formatBytes(e.size)}`;
    case 'manifest:pushed':
      totals.manifests++;
      return `manifest  ${e.reference} ${e.digest}`;
    case 'manifest:skipped':
      return `unchanged ${e.reference} ${e.digest}`;
    case 'request:retry':
      totals.retries++;
      return `retry     ${e.method} ${e.path} (attempt ${e.attempt}, ${e.reason}; waiting ${formatDuration(e.delayMs)})`;
    case 'sbom:attached':
      return `sbom      ${e.reference}`;
    case 'sink:written':
      return `wrote     ${e.importPath} to ${e.sink} ${e.target}`;
    case 'push:done':
      totals.pushed.push(e.ref);
      return `pushed    ${e.ref}`;
    case 'resolve:found':
      return `found     ${e.reference} (${e.occurrences} use${e.occurrences === 1 ? '' : 's'})`;
    case 'resolve:resolved':
      return `resolved  ${e.reference} → ${e.ref}`;
    default:
      return undefined; // an event from a newer package version: say nothing rather than fail
  }
}

function count(bucket: { blobs: number; bytes: number }, size: number): void {
  bucket.blobs++;
  bucket.bytes += size;
}

function summaryLines(t: ReporterTotals): string[] {
  const blobs = (b: { blobs: number; bytes: number }) =>
    `${b.blobs} blob${b.blobs === 1 ? '' : 's'} (${formatBytes(b.bytes)})`;
  const lines = [
    `summary   built ${t.images} image${t.images === 1 ? '' : 's'} (${t.platformBuilds} platform build${t.platformBuilds === 1 ? '' : 's'}) in ${formatDuration(t.durationMs)}`,
    `summary   uploaded ${blobs(t.uploaded)}, mounted ${blobs(t.mounted)}, skipped ${blobs(t.skipped)} already there, ${t.manifests} manifest${t.manifests === 1 ? '' : 's'}${t.retries ? `, ${t.retries} retr${t.retries === 1 ? 'y' : 'ies'}` : ''}`,
  ];
  for (const ref of t.pushed) lines.push(`summary   pushed ${ref}`);
  return lines;
}
