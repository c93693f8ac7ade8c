import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './process.js';

export interface SelfSigned {
  certPath: string;
  keyPath: string;
  certPem: string;
  /** The certificate as base64 DER, for a JWT `x5c` header. */
  certDerBase64: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost (also usable as its own CA). */
export async function selfSignedCert(dir: string, name: string): Promise<SelfSigned> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  await runOk('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '2',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-subj',
    `/CN=tsko-test-${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ]);
  const certPem = await readFile(certPath, 'utf8');
  const certDerBase64 = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return { certPath, keyPath, certPem, certDerBase64 };
}
