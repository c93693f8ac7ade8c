import { homedir } from 'node:os';
import { join } from 'node:path';
import { TskoError } from '../errors.js';

/**
 * Where `lookupCredential` looks for a registry's credentials, in its order, for messages that
 * must say "looked in …". Only places, never what was found there.
 */
export function credentialPlaces(env: NodeJS.ProcessEnv, explicit: boolean): string[] {
  const home = env.HOME ?? homedir();
  const places = explicit ? ['options.credentials'] : [];
  places.push(`${join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json')} (credHelpers, auths, credsStore)`);
  if (env.REGISTRY_AUTH_FILE) places.push(`${env.REGISTRY_AUTH_FILE} (REGISTRY_AUTH_FILE)`);
  else {
    if (env.XDG_RUNTIME_DIR) places.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
    places.push(join(home, '.config', 'containers', 'auth.json'));
  }
  return places;
}

/**
 * A 401 that says which of the two it is: no credentials were found for the host (and where
 * tsko looked), or the credentials it found were rejected.
 */
export function unauthorizedError(
  registry: string,
  what: string,
  found: boolean,
  places: readonly string[],
  status = 401,
  summary = '',
): TskoError {
  const detail = summary ? ` (${summary})` : '';
  const message = found
    ? `${what} failed: credentials for ${registry} were rejected${detail}. Log in again (docker login ${registry}) or pass other options.credentials.`
    : `${what} failed: no credentials found for ${registry} (looked in ${places.join(', ')})${detail}. Run docker login ${registry}, or pass options.credentials.`;
  return new TskoError('TSKO_UNAUTHORIZED', message, { status, details: { registry, credentialsFound: found } });
}
