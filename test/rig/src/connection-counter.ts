import { connect, createServer, type Socket } from 'node:net';

/** A TCP pass-through in front of a server, counting the connections clients open. */
export interface ConnectionCounter {
  /** `127.0.0.1:PORT` of the pass-through. */
  host: string;
  /** Connections accepted so far. */
  accepted(): number;
  /**
   * Sends new connections to another server and cuts the open ones: a registry that restarted
   * elsewhere (with TLS, say) behind the same address.
   */
  retarget(target: string): void;
  close(): Promise<void>;
}

/**
 * Starts a byte-for-byte TCP pass-through to `target` (host:port) on 127.0.0.1. TLS goes
 * through untouched (the rig's certificates name 127.0.0.1), and registries build their
 * Location URLs from the Host header, so a client talks to the pass-through throughout. For
 * tests and benchmarks that count how many connections a client opens.
 */
export async function startConnectionCounter(target: string): Promise<ConnectionCounter> {
  let [targetHost, targetPort] = target.split(':') as [string, string];
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(Number(targetPort), targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    accepted: () => accepted,
    retarget(next) {
      [targetHost, targetPort] = next.split(':') as [string, string];
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
