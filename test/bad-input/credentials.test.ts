import { after, before, describe, it } from 'node:test';
import { publish, type CoreEvent, type PublishOptions } from '@tsko/core';
import { checkPushAccess, pushImage, type RegistryEvent } from '@tsko/registry';
import {
  goTestEnvironment,
  startRegistry,
  testImage,
  TEST_PASSWORD,
  TEST_USER,
  type TestRegistry,
} from '@tsko/test-rig';
import { fileURLToPath } from 'node:url';
import { badInputRows } from './table.js';

const FIXTURE = fileURLToPath(new URL('../../packages/core/test/fixtures/app', import.meta.url));
const HOME = '/nonexistent-tsko-home';
const env = { HOME, PATH: process.env.PATH ?? '' };

describe('a 401 says whether credentials were missing or rejected; publish checks them before building', () => {
  let basic: TestRegistry;
  let token: TestRegistry;
  const goEvents: (CoreEvent | RegistryEvent)[] = [];
  before(async () => {
    [basic, token] = await Promise.all([startRegistry('htpasswd'), startRegistry('token')]);
  });
  after(() => Promise.all([basic?.stop(), token?.stop()]));
  const wrong = (r: TestRegistry) => ({ [r.host]: { username: TEST_USER, password: 'not-the-password' } });
  // goBinary that does not exist: had publish run go before the check, the code would be TSKO_GO_NOT_FOUND.
  const publishOpts = (r: TestRegistry, extra: PublishOptions = {}): PublishOptions => ({
    dir: FIXTURE,
    repo: `${r.host}/team`,
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    goBinary: '/nonexistent/go',
    environment: { ...goTestEnvironment(), ...env, DOCKER_CONFIG: `${HOME}/.docker` },
    onEvent: (e) => goEvents.push(e),
    ...extra,
  });

  badInputRows([
    {
      name: 'push with no credentials (htpasswd)',
      run: async () => pushImage(await testImage('nocreds'), `${basic.host}/team/app:1`, { env }),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [
        `no credentials found for ${basic.host} (looked in ${HOME}/.docker/config.json (credHelpers, auths, credsStore), ${HOME}/.config/containers/auth.json)`,
        `docker login ${basic.host}`,
      ],
    },
    {
      name: 'push with a wrong password (htpasswd)',
      run: async () =>
        pushImage(await testImage('wrongpw'), `${basic.host}/team/app:1`, { env, credentials: wrong(basic) }),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`credentials for ${basic.host} were rejected`],
    },
    {
      name: 'checkPushAccess with no credentials (htpasswd)',
      run: () => checkPushAccess(`${basic.host}/team`, { env }),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`no credentials found for ${basic.host}`, 'looked in'],
    },
    {
      name: 'checkPushAccess with a wrong password (htpasswd)',
      run: () => checkPushAccess(`${basic.host}/team`, { env, credentials: wrong(basic) }),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`credentials for ${basic.host} were rejected`],
    },
    {
      name: 'checkPushAccess with no credentials (token)',
      run: () => checkPushAccess(`${token.host}/team`, { env }),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`no credentials found for ${token.host}`],
    },
    {
      name: 'checkPushAccess with a wrong password (token)',
      run: () => checkPushAccess(`${token.host}/team`, { env, credentials: wrong(token) }),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`Credentials for ${token.host} were rejected by its token service`],
    },
    {
      name: 'publish with a wrong password fails before go runs',
      run: () => publish('./cmd/server', publishOpts(basic, { credentials: wrong(basic) })),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`credentials for ${basic.host} were rejected`],
    },
    {
      name: 'publish with no credentials fails before go runs',
      run: () => publish('./cmd/server', publishOpts(token)),
      code: 'TSKO_UNAUTHORIZED',
      names: () => [`no credentials found for ${token.host}`],
    },
  ]);

  // The rows above ran publish twice with a Go that does not exist and never got to build.
  after(() => {
    if (goEvents.some((e) => e.type === 'build:start'))
      throw new Error('a build started before the credentials were checked');
  });

  it('checkPushAccess with the right credentials passes on both registries (the check is not always failing)', async () => {
    await checkPushAccess(`${basic.host}/team`, {
      env,
      credentials: { [basic.host]: { username: TEST_USER, password: TEST_PASSWORD } },
    });
    await checkPushAccess(`${token.host}/team`, {
      env,
      credentials: { [token.host]: { username: TEST_USER, password: TEST_PASSWORD } },
    });
  });
});
