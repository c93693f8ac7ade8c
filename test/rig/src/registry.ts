import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { selfSignedCert, type SelfSigned } from './certs.js';
import { listeningPort, runOk, startDaemon, stopDaemon } from './process.js';
import { startTokenServer, type TokenServer } from './token-server.js';

export type RegistryKind = 'plain' | 'htpasswd' | 'tls' | 'token';

/** One request as the registry's own access log recorded it. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

/** A running CNCF distribution registry on 127.0.0.1. */
export interface TestRegistry {
  kind: RegistryKind;
  /** `127.0.0.1:PORT`, usable as the registry part of a reference. */
  host: string;
  username?: string;
  password?: string;
  /** PEM of the self-signed certificate (TLS registry). */
  caPem?: string;
  /** Folder with `ca.crt`, for `skopeo --cert-dir`. */
  certDir?: string;
  tokenServer?: TokenServer;
  /** The registry's storage root (to corrupt a blob on purpose, say). */
  dataDir: string;
  /** Every request the registry has logged so far. */
  requests(): Promise<LoggedRequest[]>;
  /** skopeo flags to reach this registry (TLS settings and credentials). */
  skopeoFlags(): string[];
  stop(): Promise<void>;
}

export const TEST_USER = 'tsko';
export const TEST_PASSWORD = 'correct horse battery staple';

function config(dir: string, extra: string): string {
  // Port 0 and level info: the registry binds a port of its own and logs `listening on` it.
  return `version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: tsko-test-secret
${extra}`;
}

/**
 * Starts a registry of the given kind in a temporary folder. `stop()` kills it and deletes
 * the folder; a test process that dies also kills it (see startDaemon).
 */
export async function startRegistry(kind: RegistryKind): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), `tsko-registry-${kind}-`));
  let extra = '';
  let cert: SelfSigned | undefined;
  let tokenServer: TokenServer | undefined;
  const withUser = kind === 'htpasswd' || kind === 'token';
  if (kind === 'htpasswd') {
    const line = await runOk('htpasswd', ['-Bbn', TEST_USER, TEST_PASSWORD]);
    await writeFile(join(dir, 'htpasswd'), line);
    extra = `auth:\n  htpasswd:\n    realm: tsko-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (kind === 'tls') {
    cert = await selfSignedCert(dir, 'ca');
    extra = `  tls:\n    certificate: ${cert.certPath}\n    key: ${cert.keyPath}\n`;
  } else if (kind === 'token') {
    const signing = await selfSignedCert(dir, 'token');
    tokenServer = await startTokenServer({
      cert: signing,
      service: 'tsko-test',
      issuer: 'tsko-rig',
      users: { [TEST_USER]: TEST_PASSWORD },
    });
    extra = `auth:\n  token:\n    realm: ${tokenServer.url}\n    service: tsko-test\n    issuer: tsko-rig\n    rootcertbundle: ${signing.certPath}\n`;
  }
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config(dir, extra));
  const logPath = join(dir, 'registry.log');
  const log = createWriteStream(logPath);
  const child = startDaemon('docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Two sources into one file: neither may end it (stdout's EOF would, before stderr's last
  // lines, and those then fail as a write after end); stop() ends it.
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let exited = false;
  child.on('exit', () => (exited = true));
  const port = await listeningPort(`docker-registry (${kind})`, logPath, () => exited);
  const host = `127.0.0.1:${port}`;
  let certDir: string | undefined;
  if (cert) {
    certDir = join(dir, 'certs.d');
    await runOk('mkdir', ['-p', certDir]);
    await writeFile(join(certDir, 'ca.crt'), cert.certPem);
  }
  const registry: TestRegistry = {
    kind,
    host,
    dataDir: join(dir, 'data'),
    async requests() {
      // The registry writes an access-log line after its answer has gone out, and the line
      // then passes through a pipe: under load the last requests of a push can be missing
      // for a moment. Read until the log has been still for 150 ms (2 s at most).
      let text = await readFile(logPath, 'utf8');
      for (let waited = 0; waited < 2000; waited += 150) {
        await new Promise((r) => setTimeout(r, 150));
        const again = await readFile(logPath, 'utf8');
        if (again.length === text.length) break;
        text = again;
      }
      const out: LoggedRequest[] = [];
      for (const m of text.matchAll(/"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/[\d.]+" (\d{3}) /g)) {
        out.push({ method: m[1]!, path: m[2]!, status: Number(m[3]) });
      }
      return out;
    },
    skopeoFlags() {
      const flags = kind === 'tls' ? [`--cert-dir=${certDir}`] : ['--tls-verify=false'];
      if (withUser) flags.push(`--creds=${TEST_USER}:${TEST_PASSWORD}`);
      return flags;
    },
    async stop() {
      await stopDaemon(child);
      // 'exit' can come before the pipes drain: detach them before ending the file.
      child.stdout!.unpipe(log);
      child.stderr!.unpipe(log);
      log.end();
      await tokenServer?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (withUser) {
    registry.username = TEST_USER;
    registry.password = TEST_PASSWORD;
  }
  if (cert) registry.caPem = cert.certPem;
  if (certDir) registry.certDir = certDir;
  if (tokenServer) registry.tokenServer = tokenServer;
  return registry;
}
