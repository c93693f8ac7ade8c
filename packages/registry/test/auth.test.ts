import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTskoError, pullImage, pushImage, type RegistryEvent } from '@tsko/registry';
import { skopeoRaw, startRegistry, testImage, type TestRegistry } from '@tsko/test-rig';
import { optionsFor } from './helpers.js';

const env = { HOME: '/nonexistent-tsko-home', PATH: process.env.PATH ?? '' };

describe('authentication and TLS against real registries', () => {
  let basic: TestRegistry;
  let token: TestRegistry;
  let tls: TestRegistry;
  before(async () => {
    [basic, token, tls] = await Promise.all([startRegistry('htpasswd'), startRegistry('token'), startRegistry('tls')]);
  });
  after(() => Promise.all([basic?.stop(), token?.stop(), tls?.stop()]));

  for (const which of ['htpasswd', 'token'] as const) {
    it(`a wrong password on the ${which} registry is TSKO_UNAUTHORIZED and the password is never echoed`, async () => {
      const registry = which === 'htpasswd' ? basic : token;
      const image = await testImage('wrong-pw');
      const events: RegistryEvent[] = [];
      const password = 'hunter2-very-secret';
      await assert.rejects(
        pushImage(image, `${registry.host}/team/app:1`, {
          env,
          credentials: { [registry.host]: { username: 'tsko', password } },
          onEvent: (e) => events.push(e),
        }),
        (err: unknown) => {
          assert.ok(isTskoError(err, 'TSKO_UNAUTHORIZED'), String(err));
          assert.equal(err.status, 401);
          const everything = JSON.stringify({
            message: err.message,
            details: err.details,
            events,
            cause: String(err.cause),
          });
          assert.ok(!everything.includes(password), 'password leaked');
          assert.ok(!everything.includes(Buffer.from(`tsko:${password}`).toString('base64')), 'basic header leaked');
          return true;
        },
      );
    });
  }

  it('an anonymous push to the htpasswd registry is TSKO_UNAUTHORIZED saying credentials are missing', async () => {
    await assert.rejects(
      pushImage(await testImage('anon'), `${basic.host}/team/app:1`, { env }),
      (err: unknown) => isTskoError(err, 'TSKO_UNAUTHORIZED') && /credentials/.test(err.message),
    );
  });

  it('an anonymous push to the token registry is a typed denial (the token grants pull only)', async () => {
    const before = token.tokenServer!.issued.anonymous;
    await assert.rejects(
      pushImage(await testImage('anon-token'), `${token.host}/team/app:1`, { env }),
      (err: unknown) => {
        assert.ok(isTskoError(err, 'TSKO_DENIED'), String(err));
        assert.match(err.message, /push/);
        return true;
      },
    );
    assert.ok(token.tokenServer!.issued.anonymous > before, 'the client fetched an anonymous token');
  });

  it('pushes with credentials from a docker config whose credHelpers runs a real helper', async () => {
    const { mkdtemp, writeFile, chmod, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'tsko-helper-'));
    try {
      await writeFile(
        join(dir, 'docker-credential-rig'),
        `#!/bin/sh\nread server\n[ "$server" = "${token.host}" ] || { echo "credentials not found"; exit 1; }\necho '{"Username":"${token.username}","Secret":"${token.password}"}'\n`,
      );
      await chmod(join(dir, 'docker-credential-rig'), 0o755);
      await writeFile(join(dir, 'config.json'), JSON.stringify({ credHelpers: { [token.host]: 'rig' } }));
      const image = await testImage('helper');
      const result = await pushImage(image, `${token.host}/helper/app:1`, {
        env: { HOME: dir, DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` },
      });
      assert.equal(result.digest, image.digest);
      await skopeoRaw(token, result.ref);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reuses one bearer token per scope for a whole push', async () => {
    const before = token.tokenServer!.issued.authenticated;
    await pushImage(await testImage('token-cache'), `${token.host}/cache/app:1`, optionsFor(token));
    assert.equal(token.tokenServer!.issued.authenticated - before, 1);
  });

  it('refuses a TLS registry whose certificate is not trusted, and never falls back to HTTP', async () => {
    await assert.rejects(pushImage(await testImage('tls'), `${tls.host}/team/app:1`, { env }), (err: unknown) => {
      assert.ok(isTskoError(err, 'TSKO_TLS'), String(err));
      assert.match(err.message, /ca/);
      return true;
    });
    const plainAttempts = (await tls.requests()).length;
    assert.equal(plainAttempts, 0, 'no plain HTTP request reached the TLS registry');
  });

  it('works with the TLS registry once its CA is given', async () => {
    const image = await testImage('tls-ok');
    const result = await pushImage(image, `${tls.host}/team/app:1`, optionsFor(tls));
    assert.equal(result.digest, image.digest);
    assert.equal((await pullImage(result.ref, optionsFor(tls))).digest, image.digest);
    await skopeoRaw(tls, result.ref);
  });
});
