import { TskoError } from '../errors.js';
import { describeUrl } from './origin.js';
import { networkErrorCode } from './retry-policy.js';
import type { HttpResponse } from './transport.js';

/** Reads a whole (small) response body, bounded so a hostile server cannot exhaust memory. */
export async function readBody(res: HttpResponse, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        res.body.destroy();
        throw new TskoError('TSKO_REGISTRY_ERROR', `Response from ${describeUrl(res.url)} exceeded ${limit} bytes.`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw bodyError(res, err);
  }
  return Buffer.concat(chunks);
}

/**
 * A failure while a response body streams in, as a typed error: a reset or a stall becomes
 * `TSKO_REGISTRY_UNAVAILABLE` (callers retry it), an abort `TSKO_ABORTED`.
 */
export function bodyError(res: Pick<HttpResponse, 'url'>, err: unknown): TskoError {
  if (err instanceof TskoError) return err;
  if ((err as Error | undefined)?.name === 'AbortError') {
    return new TskoError('TSKO_ABORTED', 'The operation was aborted by its AbortSignal.', { cause: err });
  }
  const code = networkErrorCode(err) ?? (err as Error | undefined)?.message ?? String(err);
  return new TskoError('TSKO_REGISTRY_UNAVAILABLE', `The answer from ${describeUrl(res.url)} broke off: ${code}.`, {
    cause: err,
    details: { code },
  });
}

/** A small body as text for an error message, or nothing when it cannot be read. */
export async function readText(res: HttpResponse, limit = 64 * 1024): Promise<string> {
  try {
    return (await readBody(res, limit)).toString('utf8');
  } catch {
    return '';
  }
}
