import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/**
 * A test double placed in front of a real registry to produce failures the registry cannot be
 * asked for: bursts of 5xx with Retry-After, connections reset mid-request. Everything it does
 * not intercept is forwarded unchanged (Host header included, so the registry's absolute
 * Location URLs point back at the proxy).
 */
export interface FaultRule {
  /** Which requests this rule applies to. */
  match: (req: IncomingMessage) => boolean;
  /** How many matching requests to fail before letting the rest through. */
  times: number;
  /** Answer with this status (and Retry-After), or reset the connection. */
  action: { status: number; retryAfter?: string } | 'reset';
}

export interface FaultProxy {
  host: string;
  /** Requests seen, as `METHOD path`, in order. */
  seen: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, rules: FaultRule[]): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':');
  const seen: string[] = [];
  const remaining = rules.map((r) => r.times);
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const i = rules.findIndex((r, idx) => remaining[idx]! > 0 && r.match(req));
    if (i !== -1) {
      remaining[i]!--;
      const action = rules[i]!.action;
      if (action === 'reset') {
        // Read a little of the body first so the client is mid-upload when the socket dies.
        req.once('data', () => req.socket.destroy());
        req.once('end', () => req.socket.destroy());
        return;
      }
      req.resume();
      res.writeHead(action.status, action.retryAfter ? { 'retry-after': action.retryAfter } : {}).end();
      return;
    }
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    host: `127.0.0.1:${address.port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
