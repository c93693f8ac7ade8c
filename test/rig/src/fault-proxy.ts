import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { faultDice } from './fault-dice.js';

/**
 * A test double placed in front of a real registry to produce failures the registry cannot be
 * asked for: 5xx and 429 with Retry-After, connections reset mid-request or mid-response,
 * answers lost after the registry acted, stalls. Everything it does not intercept is forwarded
 * unchanged (Host header included, so the registry's absolute Location URLs point back at the
 * proxy).
 */
export type FaultAction =
  | { status: number; retryAfter?: string; headers?: Record<string, string> }
  /** Reset the connection after reading a little of the request body (or at once without one). */
  | 'reset'
  /** Forward to the registry, then reset halfway through its answer's body. */
  | 'reset-response'
  /** Forward to the registry and let it act, then reset without answering: a lost answer. */
  | 'drop-response'
  /** Wait, then forward normally. */
  | { stallMs: number }
  /**
   * Forward normally once `heldUntil` settles: a response paused until the test says, so an
   * ordering ("this request waits until that happened") is shown without a clock.
   */
  | { heldUntil: Promise<unknown> };

export interface FaultRule {
  /** Which requests this rule applies to. */
  match: (req: IncomingMessage) => boolean;
  /** How many matching requests to fail before letting the rest through. */
  times: number;
  action: FaultAction;
}

/** Fail a share of all requests at random (seeded, so a failing run can be replayed). */
export interface RandomFaults {
  /** Share of requests to fail, 0..1. */
  rate: number;
  seed: number;
  /** Stall length (default 200 ms); keep it below the client's response timeout. */
  stallMs?: number;
  /** Retry-After sent with 429 (default '0'). */
  retryAfter?: string;
}

export interface FaultProxy {
  host: string;
  /** Requests seen, as `METHOD path`, in order. */
  seen: string[];
  /** Faults injected, as `kind METHOD path`, in order. */
  faults: string[];
  close(): Promise<void>;
}

/** Every kind of fault the random mode draws from, each equally likely. */
export const FAULT_KINDS = [
  '500',
  '502',
  '503',
  '429',
  'reset-request',
  'reset-response',
  'drop-response',
  'stall',
] as const;

export async function startFaultProxy(target: string, rules: FaultRule[], random?: RandomFaults): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':');
  const seen: string[] = [];
  const faults: string[] = [];
  const remaining = rules.map((r) => r.times);
  const dice = random ? faultDice(random.seed) : undefined;

  const forward = (req: IncomingMessage, res: ServerResponse, after?: 'reset-response' | 'drop-response') => {
    const upstream = request(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (after === 'drop-response') {
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (after === 'reset-response') {
          // Half the declared body, then the connection dies: the client must resume or retry.
          const half = Math.floor(Number(up.headers['content-length'] ?? 0) / 2);
          let sent = 0;
          up.on('data', (chunk: Buffer) => {
            const room = half - sent;
            if (room > 0) res.write(chunk.subarray(0, room));
            sent += chunk.length;
            if (sent >= half) {
              up.destroy();
              res.flushHeaders();
              setImmediate(() => req.socket.destroy());
            }
          });
          up.on('end', () => req.socket.destroy());
          return;
        }
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const act = async (req: IncomingMessage, res: ServerResponse, action: FaultAction) => {
    if (action === 'reset') {
      if (!hasBody(req)) return void req.socket.destroy();
      // Read a little of the body first so the client is mid-upload when the socket dies.
      req.once('data', () => req.socket.destroy());
      req.once('end', () => req.socket.destroy());
      return;
    }
    if (action === 'reset-response' || action === 'drop-response') return forward(req, res, action);
    if ('stallMs' in action) {
      await sleep(action.stallMs);
      return forward(req, res);
    }
    if ('heldUntil' in action) {
      await action.heldUntil.catch(() => {});
      return forward(req, res);
    }
    req.resume();
    res
      .writeHead(action.status, {
        ...action.headers,
        ...(action.retryAfter ? { 'retry-after': action.retryAfter } : {}),
      })
      .end();
  };

  const server: Server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    seen.push(line);
    const i = rules.findIndex((r, idx) => remaining[idx]! > 0 && r.match(req));
    if (i !== -1) {
      remaining[i]!--;
      faults.push(`rule ${line}`);
      return void act(req, res, rules[i]!.action);
    }
    const kind = dice && random ? dice.draw(line, random.rate, FAULT_KINDS) : undefined;
    if (!kind || !random) return forward(req, res);
    faults.push(`${kind} ${line}`);
    const action: FaultAction =
      kind === 'reset-request'
        ? 'reset'
        : kind === 'reset-response' || kind === 'drop-response'
          ? kind
          : kind === 'stall'
            ? { stallMs: random.stallMs ?? 200 }
            : { status: Number(kind), ...(kind === '429' ? { retryAfter: random.retryAfter ?? '0' } : {}) };
    void act(req, res, action);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    host: `127.0.0.1:${address.port}`,
    seen,
    faults,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}
