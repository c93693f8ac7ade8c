import type { SecureContext } from 'node:tls';
import { networkErrorCode } from './retry-policy.js';

// How the transport meets TLS: which failures are a certificate that did not verify (never
// retried, never downgraded), and the secure contexts its connections share.

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

export function isTlsVerifyError(err: unknown): boolean {
  const code = networkErrorCode(err);
  return code !== undefined && TLS_VERIFY_CODES.has(code);
}

const secureContexts = new Map<string, SecureContext>();

/**
 * One TLS secure context per CA set, shared by every socket and transport: building one from
 * the ~140 system roots plus the caller's CA costs ~80 ms, which every new TLS connection used
 * to pay. Given CAs are trusted in addition to the system store, not instead of it.
 */
export function secureContextFor(tls: typeof import('node:tls'), ca: string[] | undefined): SecureContext {
  const key = ca?.join('\n') ?? '';
  let context = secureContexts.get(key);
  if (!context) {
    context = tls.createSecureContext(ca ? { ca: [...tls.rootCertificates, ...ca] } : {});
    // A handful of CA sets per process at most; keep the map from growing without bound.
    if (secureContexts.size >= 16) secureContexts.delete(secureContexts.keys().next().value!);
    secureContexts.set(key, context);
  }
  return context;
}
