import { pipeline, Readable } from 'node:stream';
import { DigestVerifier, type Digest } from '../digest.js';
import { TskoError } from '../errors.js';
import { bodyError, readBody } from './response-body.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';

/** What a download needs from the registry client. */
export interface DownloadApi {
  request(req: Omit<HttpRequest, 'url'> & { path: string }, scopes: readonly string[]): Promise<HttpResponse>;
  fail(res: HttpResponse, what: string): Promise<TskoError>;
}

type Get = (offset: number) => Promise<HttpResponse>;

/**
 * Streams a blob whose connection may break mid-body: the download resumes where it stopped
 * (`Range: bytes=N-`), or restarts and skips what was already passed on when the registry
 * ignores ranges, within the retry policy's attempts. The digest verifier sees the whole blob
 * from its first byte, so a resumed download is verified like any other. Every error the
 * stream emits is a TskoError.
 */
export async function downloadBlob(
  api: DownloadApi,
  transport: Transport,
  path: string,
  scopes: readonly string[],
  digest: Digest,
  size: number | undefined,
  what: string,
): Promise<Readable> {
  const get: Get = async (offset) => {
    const req: Parameters<DownloadApi['request']>[0] = { method: 'GET', path, followRedirects: true };
    if (offset > 0) req.headers = { range: `bytes=${offset}-` };
    const res = await api.request(req, scopes);
    if (res.status === 200 || (offset > 0 && res.status === 206)) return res;
    throw await api.fail(res, what);
  };
  const first = await get(0);
  const verifier = new DigestVerifier(digest, size, what);
  pipeline(Readable.from(resumingChunks(first, get, transport, what)), verifier, () => undefined);
  return verifier;
}

async function* resumingChunks(
  first: HttpResponse,
  get: Get,
  transport: Transport,
  what: string,
): AsyncGenerator<Buffer> {
  let res = first;
  let offset = 0;
  for (let attempt = 1; ; attempt++) {
    let skip = offset > 0 ? bytesToSkip(res, offset, what) : 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        let bytes = chunk;
        if (skip > 0) {
          if (bytes.length <= skip) {
            skip -= bytes.length;
            continue;
          }
          bytes = bytes.subarray(skip);
          skip = 0;
        }
        offset += bytes.length;
        yield bytes;
      }
      return;
    } catch (err) {
      const failure = bodyError(res, err);
      if (failure.code !== 'TSKO_REGISTRY_UNAVAILABLE') throw failure;
      if (!(await transport.beforeRetry({ method: 'GET', url: res.url }, attempt, failure.message.slice(0, 200)))) {
        throw new TskoError(
          'TSKO_REGISTRY_UNAVAILABLE',
          `${what} broke off ${attempt} time(s), the last after ${offset} bytes; giving up.`,
          { cause: failure, details: { offset } },
        );
      }
    }
    res = await get(offset);
  }
}

/** 0 when a 206 resumes exactly at `offset`; `offset` when a 200 starts over from byte 0. */
function bytesToSkip(res: HttpResponse, offset: number, what: string): number {
  if (res.status === 200) return offset;
  const range = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
  if (range && Number(range[1]) === offset) return 0;
  res.body.destroy();
  throw new TskoError(
    'TSKO_REGISTRY_ERROR',
    `${what}: asked to resume at byte ${offset}, the registry answered Content-Range "${String(res.headers['content-range'] ?? '')}".`,
    { status: 206 },
  );
}

/**
 * GETs a small document (a manifest, a config) whole, repeating the request when its body
 * breaks off, within the retry policy's attempts.
 */
export async function fetchWhole(
  api: DownloadApi,
  transport: Transport,
  req: Omit<HttpRequest, 'url'> & { path: string },
  scopes: readonly string[],
  limit: number,
  what: string,
): Promise<{ res: HttpResponse; bytes: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    const res = await api.request(req, scopes);
    if (res.status !== 200) throw await api.fail(res, what);
    try {
      return { res, bytes: await readBody(res, limit) };
    } catch (err) {
      const failure = bodyError(res, err);
      if (failure.code !== 'TSKO_REGISTRY_UNAVAILABLE') throw failure;
      if (!(await transport.beforeRetry({ method: req.method, url: res.url }, attempt, failure.message.slice(0, 200))))
        throw failure;
    }
  }
}
