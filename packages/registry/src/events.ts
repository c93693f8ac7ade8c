import type { Digest } from './digest.js';

/**
 * Progress events from the distribution client. They never contain credentials, tokens or
 * upload-session URLs.
 */
export type RegistryEvent =
  | { type: 'blob:skipped'; repository: string; digest: Digest; size: number }
  | { type: 'blob:mounted'; repository: string; from: string; digest: Digest; size: number }
  | { type: 'blob:uploading'; repository: string; digest: Digest; size: number; bytes: number }
  | { type: 'blob:done'; repository: string; digest: Digest; size: number }
  | { type: 'manifest:pushed'; reference: string; digest: Digest; mediaType: string }
  /** The registry already had this manifest under this name: nothing was sent for it. */
  | { type: 'manifest:skipped'; reference: string; digest: Digest; mediaType: string }
  | { type: 'request:retry'; method: string; path: string; attempt: number; reason: string; delayMs: number };

export type RegistryEventHandler = (event: RegistryEvent) => void;

/** Calls a user's handler without letting its exceptions break a push or pull. */
export function emit(handler: RegistryEventHandler | undefined, event: RegistryEvent): void {
  if (!handler) return;
  try {
    handler(event);
  } catch {
    // A failing progress handler must not fail the operation it observes.
  }
}
