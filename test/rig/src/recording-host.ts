import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SelfSigned } from './certs.js';

/**
 * A test double for "another host" or "a hostile registry front": an HTTP(S) server on any
 * loopback address (127.0.0.2, 127.0.0.3, … are all bindable here) that records every request
 * it receives, headers and body included. It either answers itself (`respond`), or forwards to
 * a real registry (`upstream`) and lets the test rewrite what comes back (`rewrite`), so a real
 * registry can be made to point the client somewhere else. No real registry can be configured
 * to misbehave this way, hence the double.
 */
export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The request body as text (bodies in these tests are small). */
  body: string;
}

export interface Reply {
  /** Reset the connection instead of answering (a network failure mid-request). */
  reset?: boolean;
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface RecordingHostOptions {
  /** Loopback address to listen on (default 127.0.0.2). */
  address?: string;
  /** Serve HTTPS with this certificate (its SAN must cover `address`). */
  tls?: SelfSigned;
  /** `host:port` of a plain-HTTP registry to forward to when `respond` returns undefined. */
  upstream?: string;
  /** Answers a request itself, or returns undefined to forward it (or 404 without upstream). */
  respond?: (req: RecordedRequest, self: RecordingHost) => Reply | undefined;
  /** Rewrites the headers of a forwarded response (e.g. point `Location` elsewhere). */
  rewrite?: (
    req: RecordedRequest,
    status: number,
    headers: Record<string, string>,
    self: RecordingHost,
  ) => Record<string, string>;
}

export interface RecordingHost {
  /** `address:port`, for a reference or a Location. */
  host: string;
  /** `http(s)://address:port`. */
  url: string;
  readonly requests: RecordedRequest[];
  /** Everything received (methods, URLs, headers, bodies) as one string, to search for secrets. */
  everything(): string;
  close(): Promise<void>;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startRecordingHost(options: RecordingHostOptions = {}): Promise<RecordingHost> {
  const address = options.address ?? '127.0.0.2';
  const requests: RecordedRequest[] = [];
  let self!: RecordingHost;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readAll(req);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '/',
      headers: req.headers,
      body: raw.toString('utf8'),
    };
    requests.push(recorded);
    const reply = options.respond?.(recorded, self);
    if (reply?.reset) {
      req.socket.destroy();
      return;
    }
    if (reply || !options.upstream) {
      const r = reply ?? { status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN","message":"nothing here"}]}' };
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(r.body ?? '');
      return;
    }
    const [host, port] = options.upstream.split(':');
    // Host is kept, so the registry's absolute Locations name this front, as a real front would.
    const up = httpRequest(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        let headers = flatHeaders(upRes.headers);
        if (options.rewrite) headers = options.rewrite(recorded, upRes.statusCode ?? 502, headers, self);
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end(raw);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.destroy());
  };
  const server: Server = options.tls
    ? createHttpsServer(
        {
          cert: options.tls.certPem,
          key: await import('node:fs/promises').then((fs) => fs.readFile(options.tls!.keyPath, 'utf8')),
        },
        listener,
      )
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const bound = server.address();
  if (!bound || typeof bound === 'string') throw new Error('recording host has no port');
  const host = `${address}:${bound.port}`;
  self = {
    host,
    url: `${options.tls ? 'https' : 'http'}://${host}`,
    requests,
    everything: () => JSON.stringify(requests),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return self;
}
