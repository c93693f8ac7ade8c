/** Everything an undici Agent is built from: calls that agree on these may share its connections. */
export interface AgentSettings {
  /** Extra CA certificates (PEM) on top of the system store; none means the system store alone. */
  ca: readonly string[] | undefined;
  connectMs: number;
  responseMs: number;
}

/**
 * The key of an Agent's settings. It holds the trust (CA set) and the time limits, never
 * credentials: those travel per request, so sharing a pool shares sockets, not identities.
 * Pooled sockets and undici's TLS session cache were verified against the CA set of their
 * agent, so a call with another CA set (or none) must never reach them: different key.
 */
export function agentKey(settings: AgentSettings): string {
  return JSON.stringify([settings.ca ?? null, settings.connectMs, settings.responseMs]);
}

// Library users (Pulumi programs, CDK8s charts, build scripts) publish many times in one
// process; a pool per call paid new TCP and TLS connections each time. A few distinct
// settings per process at most, so the map stays small.
const MAX_SHARED = 8;
const pools = new Map<string, Promise<unknown>>();

/**
 * The process-wide pool for these settings, made by `make` on first use (transport.ts builds
 * the undici Agent; this file names no undici type, so none reaches the published
 * declarations). An idle pool never keeps the process alive: undici unrefs a socket once its
 * client has nothing queued, and its keep-alive timers are unref'd too (see the child-process
 * test in connection-reuse.test.ts). Idle sockets close after their keep-alive, so a pool
 * pushed out of the map is never closed by us (a transport may still use it): it drains by
 * itself and is collected.
 */
export function sharedPool<T>(settings: AgentSettings, make: (settings: AgentSettings) => Promise<T>): Promise<T> {
  const key = agentKey(settings);
  let pool = pools.get(key) as Promise<T> | undefined;
  if (pool) {
    // Most recently used last, so the oldest unused settings leave first.
    pools.delete(key);
    pools.set(key, pool);
    return pool;
  }
  pool = make(settings);
  if (pools.size >= MAX_SHARED) pools.delete(pools.keys().next().value!);
  pools.set(key, pool);
  // A failed load is not remembered: the next call tries again.
  pool.catch(() => {
    if (pools.get(key) === pool) pools.delete(key);
  });
  return pool;
}
