import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Digest } from '../digest.js';
import { abortError, TskoError } from '../errors.js';
import { emit, type RegistryEventHandler } from '../events.js';
import { isTransient } from './retry-policy.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';

/** What an upload needs from the registry client (kept narrow so this file stands alone). */
export interface UploadApi {
  readonly registry: string;
  request(
    req: Omit<HttpRequest, 'url'> & { path: string; query?: Record<string, string> },
    scopes: readonly string[],
  ): Promise<HttpResponse>;
  fail(res: HttpResponse, what: string): Promise<TskoError>;
  location(res: HttpResponse): URL;
  hasBlob(repository: string, digest: Digest, actions?: readonly ('pull' | 'push')[]): Promise<boolean>;
}

export interface UploadableBlob {
  digest: Digest;
  size: number;
  open: (signal?: AbortSignal) => Promise<Readable>;
}

/** How long clean-up of an abandoned upload session may take; it is best effort. */
const CLEANUP_BUDGET_MS = 2_000;
const CLEANUP_GRACE_MS = 150;

/**
 * Uploads a blob: POST → PATCH (streamed) → PUT `?digest=`. A failure restarts the session
 * from a fresh stream after a back-off (honouring `Retry-After`), within the retry policy's
 * attempts. The session being abandoned is DELETEd, also when the caller aborts, so no
 * upload is left open in the registry.
 *
 * A restart first HEADs the blob: when the answer to the final PUT is lost, the blob is stored
 * although the client never heard so; the retried PUT then gets 404 BLOB_UPLOAD_UNKNOWN.
 */
export async function uploadBlob(
  api: UploadApi,
  transport: Transport,
  onEvent: RegistryEventHandler | undefined,
  repository: string,
  scopes: readonly string[],
  blob: UploadableBlob,
  session?: URL,
): Promise<void> {
  const what = `Uploading blob ${blob.digest} to ${api.registry}/${repository}`;
  for (let attempt = 1; ; attempt++) {
    let open: URL | undefined = session;
    session = undefined;
    let retryAfter: string | string[] | undefined;
    let patching = false;
    try {
      if (attempt > 1 && (await api.hasBlob(repository, blob.digest, ['pull', 'push']))) return;
      open ??= await startUpload(api, repository, scopes, what);
      const source = await blob.open(transport.signal);
      const counted = source.pipe(
        progressCounter((bytes) =>
          emit(onEvent, { type: 'blob:uploading', repository, digest: blob.digest, size: blob.size, bytes }),
        ),
      );
      source.on('error', (err) => counted.destroy(err));
      patching = true;
      const patch = await api.request(
        {
          method: 'PATCH',
          path: open.href,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
          body: counted,
        },
        scopes,
      );
      patching = false;
      if (patch.status !== 202) {
        retryAfter = patch.headers['retry-after'];
        throw await api.fail(patch, what);
      }
      await patch.body.dump().catch(() => undefined);
      open = api.location(patch);
      const done = new URL(open);
      done.searchParams.set('digest', blob.digest);
      const put = await api.request({ method: 'PUT', path: done.href, headers: { 'content-length': '0' } }, scopes);
      if (put.status === 201 || put.status === 204) {
        await put.body.dump().catch(() => undefined);
        return;
      }
      if (put.status === 404) {
        await put.body.dump().catch(() => undefined);
        // The session is gone: either our earlier PUT completed it (its answer was lost) or
        // the registry dropped it. Which one, only the blob itself can tell.
        open = undefined;
        if (await api.hasBlob(repository, blob.digest, ['pull', 'push'])) return;
        throw new TskoError(
          'TSKO_REGISTRY_UNAVAILABLE',
          `${what}: the registry lost the upload session (HTTP 404 on the final PUT).`,
          { status: 404 },
        );
      }
      retryAfter = put.headers['retry-after'];
      throw await api.fail(put, what);
    } catch (err) {
      const aborted = transport.signal?.aborted === true;
      if (open) await cancelUpload(api, open, scopes, patching);
      if (aborted) throw err instanceof TskoError && err.code === 'TSKO_ABORTED' ? err : abortError(transport.signal!);
      if (!isTransient(err)) throw toTskoError(err, what);
      const reason = (err as Error).message.slice(0, 200);
      if (
        !(await transport.beforeRetry(
          { method: 'PATCH', url: new URL(`http://${api.registry}/v2/${repository}/blobs/uploads/`) },
          attempt,
          reason,
          retryAfter,
        ))
      ) {
        throw toTskoError(err, what);
      }
    }
  }
}

async function startUpload(api: UploadApi, repository: string, scopes: readonly string[], what: string): Promise<URL> {
  const res = await api.request(
    { method: 'POST', path: `/v2/${repository}/blobs/uploads/`, headers: { 'content-length': '0' } },
    scopes,
  );
  await res.body.dump().catch(() => undefined);
  if (res.status !== 202) throw await api.fail(res, what);
  return api.location(res);
}

/**
 * DELETEs an upload session we are abandoning, so the registry does not keep its partial
 * data until its own purge (distribution: a week). Best effort: bounded, never tied to the
 * caller's AbortSignal (an abort is exactly when it must run).
 *
 * After cutting a PATCH short, wait a moment first: distribution is still winding that PATCH
 * down, and a DELETE that overtakes it is undone when the PATCH closes the session's files.
 */
export async function cancelUpload(
  api: UploadApi,
  session: URL,
  scopes: readonly string[],
  cutShort: boolean,
): Promise<void> {
  const deadline = Date.now() + CLEANUP_BUDGET_MS;
  if (cutShort) await sleep(CLEANUP_GRACE_MS);
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const res = await api.request(
        { method: 'DELETE', path: session.href, attempts: 1, detached: true, deadline },
        scopes,
      );
      await res.body.dump().catch(() => undefined);
      if (res.status < 300 || res.status === 404) return;
    } catch {
      // The registry purges stale sessions itself; the push's own error matters more.
    }
    if (attempt === 1) await sleep(CLEANUP_GRACE_MS);
  }
}

function toTskoError(err: unknown, what: string): TskoError {
  if (err instanceof TskoError) return err;
  return new TskoError('TSKO_REGISTRY_ERROR', `${what} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

function progressCounter(report: (bytes: number) => void): Transform {
  let bytes = 0;
  let lastReport = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes - lastReport >= 1 << 20) {
        lastReport = bytes;
        report(bytes);
      }
      done(null, chunk);
    },
    flush(done) {
      if (bytes !== lastReport) report(bytes);
      done();
    },
  });
}
