import type { CoreEvent } from '@tsko/core';

/**
 * Every event a resolution reports through `onEvent`: its own (below) and core's, which
 * include the registry client's. One union, so `onEvent: (e) => e.type === 'resolve:found'`
 * and `e.type === 'blob:done'` both type-check.
 */
export type ResolveEvent = ReferenceEvent | CoreEvent;

/** The handler `onEvent` takes in resolve's options. */
export type ResolveEventHandler = (event: ResolveEvent) => void;

/** Events resolve itself reports, one pair per distinct `ko://` reference. */
export type ReferenceEvent =
  | { type: 'resolve:found'; reference: string; occurrences: number }
  /** `imageRefs`: what ko's `--image-refs` lists for it (with core's publish; a custom build gives `[ref]`). */
  | { type: 'resolve:resolved'; reference: string; ref: string; imageRefs: string[] };

/** Calls a user's handler without letting its exceptions break the resolution it observes. */
export function emitResolve(handler: ResolveEventHandler | undefined, event: ResolveEvent): void {
  if (!handler) return;
  try {
    handler(event);
  } catch {
    // A failing progress handler must not fail the resolution.
  }
}
