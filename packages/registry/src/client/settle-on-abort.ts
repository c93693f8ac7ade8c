/**
 * Rejects as soon as `signal` fires. undici settles an aborted request only once its pending
 * connect attempt ends (up to connectMs later); a response that still arrives is drained.
 */
export function settleOnAbort<T extends { body: { destroy(): unknown } }>(
  pending: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  if (signal.aborted) {
    pending.then(
      (res) => res.body.destroy(),
      () => undefined,
    );
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      pending.then(
        (res) => res.body.destroy(),
        () => undefined,
      );
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
