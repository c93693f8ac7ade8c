// Compiled by `pnpm typecheck` (tsconfig.test.json), never run: each `@ts-expect-error` is a
// claim that the line must NOT compile; if it ever does, tsc reports the unused directive.
import { consoleReporter, publish, type CoreEvent } from '@tsko/core';
import type { RegistryEvent } from '@tsko/registry';
import { resolveManifests, type ResolveEvent } from '@tsko/resolve';

// Each package's union holds the events of the packages below it.
const fromRegistry: CoreEvent = { type: 'blob:done', repository: 'r', digest: 'sha256:00', size: 1 } as RegistryEvent;
const fromCore: ResolveEvent = fromRegistry;
void fromCore;

// resolve's onEvent sees its own events, core's and the registry's, narrowed by `type`.
void resolveManifests('kind: Pod', {
  onEvent: (e) => {
    if (e.type === 'resolve:found') void e.occurrences;
    if (e.type === 'build:done') void e.durationMs;
    if (e.type === 'blob:uploading') void e.bytes;
    // @ts-expect-error no event has this type
    if (e.type === 'resolve:finished') return;
  },
});

// core's onEvent has no resolve events: comparing with one cannot be true.
void publish('./cmd/app', {
  // @ts-expect-error core never reports resolve:found
  onEvent: (e) => e.type === 'resolve:found',
});
void publish('./cmd/app', { onEvent: (e) => e.type === 'push:done' && e.ref.length > 0 });
void publish('./cmd/app', { onEvent: (e) => e.type === 'build:shared-cache' && e.result === 'hit' });
// @ts-expect-error the shared cache reports hit, not found
void publish('./cmd/app', { onEvent: (e) => e.type === 'build:shared-cache' && e.result === 'found' });

// @ts-expect-error an event's fields are checked too
const wrong: CoreEvent = { type: 'build:done', importPath: 'x', platform: 'linux/amd64' };
void wrong;

// The console reporter takes every layer's events.
void resolveManifests('kind: Pod', { onEvent: consoleReporter() });
