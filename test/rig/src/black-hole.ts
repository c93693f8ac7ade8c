import { createServer, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a hung registry. */
export interface BlackHole {
  host: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Read and discard, so the client's writes (a TLS hello, a request) never block.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('black hole has no port');
  return {
    host: `127.0.0.1:${address.port}`,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
