import { pingRegistry, type PingResult } from './ping.js';
import type { Transport } from './transport.js';

// Library users publish many times in one process; each call used to ping `/v2/` again
// (over both schemes on loopback) before its first real request. What the ping found is the
// registry's public face (scheme, and the challenge it answers anonymous requests with), not
// anyone's credentials, so calls with the same connection settings may reuse it for a while.
const REMEMBER_MS = 3 * 60_000;
const MAX_REMEMBERED = 64;

interface Remembered {
  result: PingResult;
  expiresAt: number;
}

const remembered = new Map<string, Remembered>();

/**
 * Keyed by what decides the ping's answer: the registry, whether plain HTTP is allowed for it
 * (a base found under `insecure` must not serve a call without it), and the connection
 * settings (the CA set decides whether HTTPS verifies at all).
 */
function keyOf(transport: Transport, registry: string, insecure: boolean): string {
  return JSON.stringify([registry, insecure, transport.connectionKey]);
}

/**
 * The registry's API base URL and `/v2/` challenge: remembered from a recent ping in this
 * process, or found by pinging (see pingRegistry). Only answers are remembered; a failed ping
 * is tried again by the next call. Concurrent first calls each ping: sharing one in-flight
 * ping would tie every caller to the first one's AbortSignal.
 */
export async function findApiBase(transport: Transport, registry: string, insecure: boolean): Promise<PingResult> {
  const key = keyOf(transport, registry, insecure);
  const known = remembered.get(key);
  if (known && known.expiresAt > Date.now()) return copy(known.result);
  remembered.delete(key);
  const found = await pingRegistry(transport, registry, insecure);
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  remembered.set(key, { result: copy(found), expiresAt: Date.now() + REMEMBER_MS });
  return found;
}

/**
 * Drops what was remembered about a registry after a request to it failed, so that a registry
 * that moved, restarted with TLS or went away is pinged afresh by the next call instead of
 * failing until the memory expires.
 */
export function forgetApiBase(transport: Transport, registry: string, insecure: boolean): void {
  remembered.delete(keyOf(transport, registry, insecure));
}

/** URLs are mutable objects: every caller gets its own. */
function copy(result: PingResult): PingResult {
  return {
    base: new URL(result.base.href),
    ...(result.challenge ? { challenge: { ...result.challenge, params: { ...result.challenge.params } } } : {}),
  };
}
