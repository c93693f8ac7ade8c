import { guarded } from '../error-wrapping.js';
import { parseRepository, type Reference } from '../reference.js';
import type { RegistryOptions } from '../client/registry-client.js';
import { sessionFor, type RegistrySession } from '../client/session.js';
import { unauthorizedError } from '../client/unauthorized.js';

/**
 * Checks, cheaply and before any work, that this run may push to `repository`: the registry
 * answers, and if it asks for authentication, credentials are found and accepted (Basic: an
 * authenticated `GET /v2/`; Bearer: a token for `push,pull` on the repository, then `GET /v2/`
 * with it). A failure is `TSKO_UNAUTHORIZED` saying whether no credentials were found (and
 * where tsko looked) or the ones found were rejected. Permission on the final repository
 * (which a build may name later) is still checked by the push itself.
 */
export function checkPushAccess(
  repository: string | Reference,
  options: RegistryOptions & { session?: RegistrySession } = {},
): Promise<void> {
  return guarded('checkPushAccess', async () => {
    const target = typeof repository === 'string' ? parseRepository(repository) : repository;
    const session = sessionFor(options);
    try {
      const client = session.client(target.registry);
      const what = `Checking push access to ${target.registry}/${target.repository}`;
      const state = await client.authState();
      if (!state.challenged) return; // an open registry: nothing to check before pushing
      if (!state.credentialsFound) throw unauthorizedError(target.registry, what, false, client.credentialPlaces());
      const res = await client.request(
        { method: 'GET', path: '/v2/', followRedirects: false },
        client.scopes(target.repository, ['pull', 'push']),
      );
      await res.body.dump().catch(() => undefined);
      if (res.status !== 200) throw await client.fail(res, what);
    } finally {
      if (!options.session) await session.close();
    }
  });
}
