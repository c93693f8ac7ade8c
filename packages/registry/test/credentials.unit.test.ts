import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTskoError, lookupCredential, normaliseAuthKey } from '@tsko/registry';

// A real docker credential helper: a shell script that answers the `get` protocol, so the
// lookup runs the same spawn/stdin/stdout path as docker-credential-pass or -gcloud.
const HELPER = `#!/bin/sh
[ "$1" = get ] || exit 1
read server
case "$server" in
  helped.example.com) echo '{"ServerURL":"helped.example.com","Username":"helper-user","Secret":"helper-secret"}' ;;
  token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"refresh-me"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hub-user","Secret":"hub-secret"}' ;;
  broken.example.com) echo 'leaked-secret-on-stdout'; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

describe('lookupCredential follows docker and containers config files', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsko-creds-'));
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'docker'));
    await writeFile(join(dir, 'bin', 'docker-credential-testhelper'), HELPER);
    await chmod(join(dir, 'bin', 'docker-credential-testhelper'), 0o755);
    await writeFile(
      join(dir, 'docker', 'config.json'),
      JSON.stringify({
        auths: {
          'https://plain.example.com/v1/': { auth: Buffer.from('alice:pa:ss').toString('base64') },
          'split.example.com': { username: 'bob', password: 'pw' },
          'idtoken.example.com': { identitytoken: 'idt' },
          'bad.example.com': { auth: Buffer.from('nocolon').toString('base64') },
        },
        credHelpers: {
          'helped.example.com': 'testhelper',
          'token.example.com': 'testhelper',
          'broken.example.com': 'testhelper',
          'missing.example.com': 'nosuchhelper',
        },
        credsStore: 'testhelper',
      }),
    );
    await writeFile(
      join(dir, 'auth.json'),
      JSON.stringify({ auths: { 'podman.example.com': { auth: Buffer.from('carol:pw2').toString('base64') } } }),
    );
    env = {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      DOCKER_CONFIG: join(dir, 'docker'),
      REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
      HOME: dir,
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('decodes auths entries keyed by URL, keeping colons in passwords', async () => {
    assert.deepEqual(await lookupCredential('plain.example.com', { env }), { username: 'alice', password: 'pa:ss' });
    assert.deepEqual(await lookupCredential('split.example.com', { env }), { username: 'bob', password: 'pw' });
    assert.deepEqual(await lookupCredential('idtoken.example.com', { env }), { identityToken: 'idt' });
  });
  it('asks credHelpers, mapping <token> to an identity token', async () => {
    assert.deepEqual(await lookupCredential('helped.example.com', { env }), {
      username: 'helper-user',
      password: 'helper-secret',
    });
    assert.deepEqual(await lookupCredential('token.example.com', { env }), { identityToken: 'refresh-me' });
  });
  it("asks credsStore with Docker Hub's legacy server URL", async () => {
    assert.deepEqual(await lookupCredential('docker.io', { env }), { username: 'hub-user', password: 'hub-secret' });
  });
  it('falls through to REGISTRY_AUTH_FILE when docker has nothing', async () => {
    assert.deepEqual(await lookupCredential('podman.example.com', { env }), { username: 'carol', password: 'pw2' });
  });
  it('is anonymous when nothing matches', async () => {
    assert.equal(await lookupCredential('nobody.example.com', { env }), undefined);
  });
  it('prefers explicit credentials over files', async () => {
    const explicit = { username: 'x', password: 'y' };
    assert.deepEqual(
      await lookupCredential('helped.example.com', { env, credentials: { 'helped.example.com': explicit } }),
      explicit,
    );
    assert.deepEqual(
      await lookupCredential('helped.example.com', { env, credentials: async () => explicit }),
      explicit,
    );
  });
  it('fails with TSKO_CREDENTIALS, without echoing helper output, when a helper breaks', async () => {
    await assert.rejects(lookupCredential('broken.example.com', { env }), (err: unknown) => {
      assert.ok(isTskoError(err, 'TSKO_CREDENTIALS'));
      assert.match(err.message, /exit 3/);
      assert.doesNotMatch(err.message, /leaked-secret/);
      return true;
    });
  });
  it('says which helper is missing from PATH', async () => {
    await assert.rejects(
      lookupCredential('missing.example.com', { env }),
      /docker-credential-nosuchhelper is not on PATH/,
    );
  });
  it('rejects a malformed auth entry naming the file', async () => {
    await assert.rejects(
      lookupCredential('bad.example.com', { env }),
      (err: unknown) => isTskoError(err, 'TSKO_CREDENTIALS') && err.message.includes('config.json'),
    );
  });
  it('normalises auths keys the way docker matches them', () => {
    assert.equal(normaliseAuthKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normaliseAuthKey('http://localhost:5000/v2/'), 'localhost:5000');
    assert.equal(normaliseAuthKey('GHCR.io'), 'ghcr.io');
  });
});
