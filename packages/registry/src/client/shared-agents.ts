import type { Agent } from 'undici';
import { lazyImport } from '../lazy-modules.js';
import { secureContextFor } from './tls-context.js';

// Loaded by the first request (see lazy-modules.ts).
const undici = lazyImport(() => import('undici'));
const tls = lazyImport(() => import('node:tls'));

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
const agents = new Map<string, Promise<Agent>>();

/**
 * The process-wide Agent for these settings, made on first use. An idle pool never keeps the
 * process alive: undici unrefs a socket once its client has nothing queued, and its
 * keep-alive timers are unref'd too (see the child-process test in connection-reuse.test.ts).
 * Idle sockets close after `keepAliveTimeout`, so an agent pushed out of the map is never
 * closed by us (a transport may still use it): it drains by itself and is collected.
 */
export function sharedAgent(settings: AgentSettings): Promise<Agent> {
  const key = agentKey(settings);
  let agent = agents.get(key);
  if (agent) {
    // Most recently used last, so the oldest unused settings leave first.
    agents.delete(key);
    agents.set(key, agent);
    return agent;
  }
  agent = Promise.all([undici(), tls()]).then(
    ([{ Agent }, tlsModule]) =>
      new Agent({
        connect: { timeout: settings.connectMs, secureContext: secureContextFor(tlsModule, settings.ca?.slice()) },
        headersTimeout: settings.responseMs,
        bodyTimeout: settings.responseMs,
        // Below the 5 s idle timeout of Node's and many proxies' servers, so that we close an
        // idle socket before the server does and never send on one it is closing.
        keepAliveTimeout: 4_000,
      }),
  );
  if (agents.size >= MAX_SHARED) agents.delete(agents.keys().next().value!);
  agents.set(key, agent);
  // A failed load is not remembered: the next call tries again.
  agent.catch(() => {
    if (agents.get(key) === agent) agents.delete(key);
  });
  return agent;
}
