import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { consoleReporter, publish, type CoreEvent, type ReporterEvent, type PublishOptions } from '@tsko/core';
import type { RegistryEvent } from '@tsko/registry';
import type { ResolveEvent, ResolveOptions } from '@tsko/resolve';
import { startRegistry, type TestRegistry } from '@tsko/test-rig';
import { FIXTURE, pushBaseIndex, testEnvironment } from './helpers.js';

// Compile-time: resolve's events are accepted by the reporter without core importing resolve.
const acceptsResolveEvents: (e: ResolveEvent) => ReporterEvent = (e) => e;
void acceptsResolveEvents;
// …and it is an onEvent for resolveManifests as it is for publish.
const forResolve: ResolveOptions = { onEvent: consoleReporter({ stream: process.stderr }) };
void forResolve;

/** What formatDuration prints: `850 ms`, `12.3 s`, or `1 min 5 s` when a cold machine builds slowly. */
const DURATION = String.raw`(\d+ ms|[\d.]+ s|\d+ min \d+ s)`;

/** A stream that keeps what was written, optionally claiming to be a terminal. */
function capture(isTTY = false): { stream: Writable & { isTTY?: boolean; columns?: number }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  if (isTTY) Object.assign(stream, { isTTY: true, columns: 200 });
  return { stream, text: () => chunks.join('') };
}

describe('consoleReporter renders a real publish', () => {
  let registry: TestRegistry;
  let baseRef: string;
  before(async () => {
    registry = await startRegistry('plain');
    baseRef = (await pushBaseIndex(registry)).ref;
  });
  after(async () => registry?.stop());

  const options = (extra: PublishOptions) => ({
    dir: FIXTURE,
    repo: `${registry.host}/reporter`,
    baseImage: baseRef,
    platforms: ['linux/amd64', 'linux/arm64'],
    environment: testEnvironment(),
    ...extra,
  });

  it("writes one line per step, go's own output, and a summary that matches what the registry saw", async () => {
    const out = capture();
    const reporter = consoleReporter({ stream: out.stream });
    const seen: (CoreEvent | RegistryEvent)[] = [];
    // -x makes go print its steps on stderr even with a warm cache: real go output to pass through.
    // A throw-away tsko cache, so no record of an earlier run answers the build without go.
    const result = await publish(
      './cmd/server',
      options({
        flags: ['-x'],
        cacheDir: false,
        onEvent: (e: CoreEvent | RegistryEvent) => {
          seen.push(e);
          reporter(e);
        },
      }),
    );
    const totals = reporter.summary();
    const lines = out.text().split('\n').filter(Boolean);

    assert.ok(
      !out.text().includes('\r') && !out.text().includes('\x1b'),
      'a plain stream gets no terminal control codes',
    );
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      assert.ok(lines.includes(`build     example.com/app/cmd/server ${platform}`), `build line for ${platform}`);
      assert.ok(
        lines.some((l) => new RegExp(`^built     example\\.com/app/cmd/server ${platform} in ${DURATION}$`).test(l)),
        `built line for ${platform}`,
      );
      for (const layer of ['kodata', 'binary']) {
        const event = seen.find(
          (e) =>
            (e.type === 'layer:built' || e.type === 'layer:cached') && e.platform === platform && e.layer === layer,
        ) as Extract<CoreEvent, { type: 'layer:built' }>;
        assert.ok(
          lines.some((l) =>
            l.startsWith(`layer     example.com/app/cmd/server ${platform} ${layer} ${event.digest.slice(0, 19)} `),
          ),
          `${layer} layer line for ${platform}`,
        );
      }
    }
    assert.ok(
      lines.some((l) => /^ {2}go: WORK=/.test(l)),
      'go -x output arrives as build:output lines',
    );
    const goLines = seen.filter((e) => e.type === 'build:output').length;
    assert.equal(lines.filter((l) => l.startsWith('  go: ')).length, goLines);
    assert.ok(lines.includes(`image     example.com/app/cmd/server ${result.digest}`));

    const uploaded = seen.filter((e): e is Extract<RegistryEvent, { type: 'blob:done' }> => e.type === 'blob:done');
    assert.ok(uploaded.length >= 4, 'config and layers of two platforms were uploaded');
    for (const blob of uploaded)
      assert.ok(
        lines.some((l) => l.startsWith(`uploaded  ${blob.repository} ${blob.digest.slice(0, 19)} `)),
        `uploaded line for ${blob.digest}`,
      );
    const manifests = seen.filter((e) => e.type === 'manifest:pushed');
    assert.equal(lines.filter((l) => l.startsWith('manifest  ')).length, manifests.length);
    assert.ok(lines.includes(`pushed    ${result.ref}`));

    const uploadedBytes = uploaded.reduce((n, b) => n + b.size, 0);
    assert.equal(totals.uploaded.blobs, uploaded.length);
    assert.equal(totals.uploaded.bytes, uploadedBytes);
    assert.equal(totals.images, 1);
    assert.equal(totals.platformBuilds, 2);
    assert.deepEqual(totals.pushed, [result.ref]);
    const summary = lines.filter((l) => l.startsWith('summary   '));
    assert.match(summary[0]!, new RegExp(String.raw`^summary {3}built 1 image \(2 platform builds\) in ${DURATION}$`));
    const mounted = seen.filter((e) => e.type === 'blob:mounted').length;
    const skipped = seen.filter((e) => e.type === 'blob:skipped').length;
    assert.ok(mounted > 0, 'the base layers were mounted from the base repository');
    assert.equal(totals.mounted.blobs, mounted);
    assert.match(
      summary[1]!,
      new RegExp(
        `^summary {3}uploaded ${uploaded.length} blobs \\([\\d.]+ MB\\), mounted ${mounted} blobs \\(\\d+ B\\), skipped ${skipped} blobs? \\(.+\\) already there, ${manifests.length} manifests$`,
      ),
    );
    assert.equal(summary[2], `summary   pushed ${result.ref}`);
  });

  it('a republish reports its manifest unchanged, a new tag blobs that exist as skipped, and a new repository mounts the base layers', async () => {
    const out = capture();
    const reporter = consoleReporter({ stream: out.stream });
    const first = await publish('./cmd/server', options({ onEvent: reporter }));
    await publish('./cmd/server', options({ onEvent: reporter }));
    await publish('./cmd/server', options({ tags: ['another'], onEvent: reporter }));
    await publish('./cmd/server', options({ repo: `${registry.host}/elsewhere`, onEvent: reporter }));
    const totals = reporter.summary();
    const lines = out.text().split('\n');
    const repository = first.ref.split('@')[0]!;
    assert.ok(lines.includes(`unchanged ${repository}:latest ${first.digest}`), lines.join('\n'));
    assert.ok(totals.skipped.blobs > 0 && totals.mounted.blobs > 0, JSON.stringify(totals));
    assert.equal(lines.filter((l) => l.startsWith('exists    ')).length, totals.skipped.blobs);
    assert.equal(lines.filter((l) => l.startsWith('mounted   ')).length, totals.mounted.blobs);
    assert.ok(
      lines.some((l) =>
        /^mounted {3}elsewhere\/server-[0-9a-f]{32} sha256:[0-9a-f]{12} \d+ B from base\/static$/.test(l),
      ),
      lines.join('\n'),
    );
    assert.equal(totals.pushed.length, 4);
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      assert.ok(
        lines.includes(`reused    example.com/app/cmd/server ${platform} (inputs unchanged, go did not run)`),
        `the second publish says its ${platform} build was answered by its input key`,
      );
    }
  });

  it('on a terminal, rewrites one status line with the bytes of blobs in flight and clears it for the summary', async () => {
    const out = capture(true);
    const reporter = consoleReporter({ stream: out.stream });
    await publish(
      './cmd/server',
      options({ repo: `${registry.host}/tty`, platforms: ['linux/amd64'], onEvent: reporter }),
    );
    reporter.summary();
    const text = out.text();
    assert.match(text, /uploading \d+ blobs?: [\d.]+ (B|kB|MB) \/ [\d.]+ (B|kB|MB) {2}sha256:[0-9a-f]{12} \d+%/);
    assert.ok(text.includes('\r\x1b[2K'), 'the status line is erased before step lines');
    const lastStatus = text.lastIndexOf('uploading ');
    assert.ok(text.indexOf('\r\x1b[2K', lastStatus) > lastStatus, 'the last status line is erased');
    assert.ok(
      text.indexOf('summary   built 1 image') > text.lastIndexOf('\r\x1b[2K'),
      'the summary follows the cleared status line',
    );
  });
});
