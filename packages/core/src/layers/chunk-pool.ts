/**
 * Fixed-size buffers for the compressor, handed out again once nobody holds them, and a limit
 * on how many chunks deflate at once across every layer of the process.
 *
 * A chunk is held by whoever fills it, by its deflate while that runs, and by the stream as the
 * dictionary of the chunk after it; it returns to the pool when the last hold is released.
 * Reusing them matters because V8 counts every fresh 1 MiB buffer as external memory and
 * answers it with full collections of the whole heap.
 */
export class ChunkPool {
  /** Chunks deflating at once, process-wide: two per libuv pool thread, at most 32. */
  readonly limit = Math.min(2 * (Number(process.env.UV_THREADPOOL_SIZE) || 4), 32);
  private readonly spare: Buffer[] = [];
  private readonly holds = new Map<Buffer, number>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** A buffer of `size` bytes with one hold, its content undefined. */
  take(): Buffer {
    const buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.holds.set(buf, 1);
    return buf;
  }

  retain(buf: Buffer): void {
    this.holds.set(buf, (this.holds.get(buf) ?? 0) + 1);
  }

  release(buf: Buffer): void {
    const left = (this.holds.get(buf) ?? 1) - 1;
    if (left > 0) {
      this.holds.set(buf, left);
      return;
    }
    this.holds.delete(buf);
    // Keep enough for every chunk that may be deflating plus the ones being filled.
    if (this.spare.length < 2 * this.limit) this.spare.push(buf);
  }

  /** Waits for one of the `limit` deflate slots; `done` gives it back. */
  async slot(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  done(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/**
 * The 1 MiB buffers layers read file contents through (a tar's files, a binary being hashed),
 * shared by every layer of the process for the same reason as the chunks.
 */
export const readBuffers = new ChunkPool(1 << 20);
