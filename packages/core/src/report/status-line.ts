import type { RegistryEvent } from '@tsko/registry';
import { formatBytes, shortDigest } from './format.js';

type BlobEvent = Extract<RegistryEvent, { type: 'blob:uploading' | 'blob:done' }>;

/**
 * One terminal line rewritten in place with the blobs being uploaded and their bytes; step
 * lines are printed above it. Plain ANSI (carriage return + erase line), which every terminal
 * Node supports understands, so no dependency is needed. Redraws at most every 100 ms.
 */
export class StatusLine {
  private readonly inFlight = new Map<string, { bytes: number; size: number }>();
  private shown = false;
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WritableStream & { columns?: number }) {}

  /** Prints a step line above the status line. */
  print(text: string): void {
    this.erase();
    this.stream.write(`${text}\n`);
    this.draw(true);
  }

  blob(e: BlobEvent): void {
    const key = `${e.repository}@${e.digest}`;
    if (e.type === 'blob:done') this.inFlight.delete(key);
    else this.inFlight.set(key, { bytes: e.bytes, size: e.size });
    this.draw(e.type === 'blob:done');
  }

  /** Removes the status line (before a summary, or when done). */
  clear(): void {
    this.erase();
  }

  private erase(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.erase();
    if (this.inFlight.size === 0) return;
    let bytes = 0;
    let size = 0;
    const parts: string[] = [];
    for (const [key, b] of this.inFlight) {
      bytes += b.bytes;
      size += b.size;
      parts.push(
        `${shortDigest(key.slice(key.indexOf('@') + 1))} ${Math.floor((100 * b.bytes) / Math.max(b.size, 1))}%`,
      );
    }
    const text = `uploading ${this.inFlight.size} blob${this.inFlight.size === 1 ? '' : 's'}: ${formatBytes(bytes)} / ${formatBytes(size)}  ${parts.join('  ')}`;
    const width = (this.stream.columns ?? 80) - 1;
    this.stream.write(text.length > width ? text.slice(0, width) : text);
    this.shown = true;
  }
}
