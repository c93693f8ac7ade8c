import { createSign, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { SelfSigned } from './certs.js';

/**
 * A distribution token server (the "Docker registry v2 auth" protocol): it checks Basic
 * credentials and signs RS256 JWTs with an x5c header that the registry verifies against its
 * rootcertbundle. Known users get what they ask for; anonymous callers get `pull` only, so an
 * anonymous push is denied by the real registry, as on public registries.
 */
export interface TokenServer {
  url: string;
  /** How many tokens were issued, by whether the caller authenticated. */
  issued: { anonymous: number; authenticated: number };
  close(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export async function startTokenServer(opts: {
  cert: SelfSigned;
  service: string;
  issuer: string;
  users: Record<string, string>;
}): Promise<TokenServer> {
  const key = await readFile(opts.cert.keyPath, 'utf8');
  const issued = { anonymous: 0, authenticated: 0 };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (!u || opts.users[u] === undefined || opts.users[u] !== p) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"invalid credentials"}');
        return;
      }
      user = u;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const granted = actions.split(',').filter((a) => user !== undefined || a === 'pull');
      return [{ type, name, actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [opts.cert.certDerBase64] };
    const claims = {
      iss: opts.issuer,
      sub: user ?? '',
      aud: opts.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    if (user) issued.authenticated++;
    else issued.anonymous++;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: `${signingInput}.${b64url(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('token server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/token`,
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
