import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TskoError } from './errors.js';

/** A content digest such as `sha256:…`. */
export type Digest = `${string}:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

/** True if `value` is a sha256 or sha512 digest in canonical (lowercase hex) form. */
export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

/** Validates a digest string, throwing `TSKO_INVALID_ARGUMENT` naming `what` otherwise. */
export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value)) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `Invalid ${what} "${String(value).slice(0, 140)}": expected sha256:<64 hex> or sha512:<128 hex>.`,
    );
  }
  return value;
}

/** sha256 of bytes, as a digest string. */
export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function hashFor(digest: Digest): Hash {
  return createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256');
}

/**
 * A pass-through stream that hashes and counts what flows through it and, when `expected` is
 * given, fails the stream at its end with `TSKO_DIGEST_MISMATCH` if the content differs.
 * Every pulled blob goes through one of these.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private bytes = 0;
  private result?: Digest;

  constructor(
    private readonly expected?: Digest,
    private readonly expectedSize?: number,
    private readonly what = 'blob',
  ) {
    super();
    this.hash = expected ? hashFor(expected) : createHash('sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      done(this.mismatch(`more than the ${this.expectedSize} bytes its descriptor declares`));
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const algo = this.expected?.split(':')[0] ?? 'sha256';
    this.result = `${algo}:${this.hash.digest('hex')}`;
    if (this.expected && this.result !== this.expected) {
      done(this.mismatch(`content hashes to ${this.result}`));
      return;
    }
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      done(this.mismatch(`${this.bytes} bytes, its descriptor declares ${this.expectedSize}`));
      return;
    }
    done();
  }

  private mismatch(what: string): TskoError {
    return new TskoError(
      'TSKO_DIGEST_MISMATCH',
      `${this.what} ${this.expected} failed verification: ${what}. The registry served corrupt or substituted content; nothing was kept.`,
      { details: { expected: this.expected } },
    );
  }

  /** The digest of everything that passed through; available after the stream ends. */
  get digest(): Digest | undefined {
    return this.result;
  }

  get size(): number {
    return this.bytes;
  }
}

/** Verifies a whole in-memory payload (manifests, configs) against its digest. */
export function verifyBytes(data: Uint8Array, expected: Digest, what: string): void {
  const h = hashFor(expected).update(data).digest('hex');
  const actual = `${expected.split(':')[0]}:${h}`;
  if (actual !== expected) {
    throw new TskoError(
      'TSKO_DIGEST_MISMATCH',
      `${what} should have digest ${expected} but its bytes hash to ${actual}. The registry served different content than was asked for.`,
      { details: { expected, actual } },
    );
  }
}
