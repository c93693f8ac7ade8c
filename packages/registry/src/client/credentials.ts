import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isTskoError, TskoError } from '../errors.js';
import { runProgram, type ProgramResult } from '../run-program.js';

/** Credentials for one registry. */
export type Credential =
  | { username: string; password: string }
  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token realm. */
  | { identityToken: string; username?: string }
  /** A bearer token sent as is (docker's `registrytoken`). */
  | { registryToken: string };

/**
 * Explicit credentials: a map keyed by registry host (`ghcr.io`, `localhost:5000`) or a
 * function asked per registry. These win over any file on disk.
 */
export type CredentialSource =
  | Record<string, Credential>
  | ((registry: string) => Credential | undefined | Promise<Credential | undefined>);

export interface CredentialLookupOptions {
  credentials?: CredentialSource;
  /** Environment to read DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, HOME, PATH from. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
  'https://index.docker.io/v1',
];

/** `https://host:port/v1/` → `host:port`, the way docker matches `auths` keys. */
export function normaliseAuthKey(key: string): string {
  const noScheme = key.replace(/^[a-z]+:\/\//i, '');
  const host = noScheme.split('/')[0]!.toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/**
 * Finds credentials for `registry`, in this order: explicit options; `$DOCKER_CONFIG/config.json`
 * (else `~/.docker/config.json`): `credHelpers`, then `auths`, then `credsStore`; then
 * `REGISTRY_AUTH_FILE` or the containers `auth.json`. Returns undefined for anonymous access.
 */
export async function lookupCredential(
  registry: string,
  options: CredentialLookupOptions = {},
): Promise<Credential | undefined> {
  const env = options.env ?? process.env;
  if (options.credentials) {
    const explicit =
      typeof options.credentials === 'function' ? await options.credentials(registry) : options.credentials[registry];
    if (explicit) return explicit;
  }
  const home = env.HOME ?? homedir();
  const dockerDir = env.DOCKER_CONFIG ?? join(home, '.docker');
  const dockerPath = join(dockerDir, 'config.json');
  const docker = await readJsonFile<DockerConfigFile>(dockerPath);
  if (docker) {
    const found = await fromDockerConfig(registry, docker, dockerPath, env, options.signal);
    if (found) return found;
  }
  const authFiles = env.REGISTRY_AUTH_FILE
    ? [env.REGISTRY_AUTH_FILE]
    : [
        env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : '',
        join(home, '.config', 'containers', 'auth.json'),
      ].filter(Boolean);
  for (const file of authFiles) {
    const containers = await readJsonFile<DockerConfigFile>(file);
    const entry = containers && findAuthEntry(registry, containers.auths);
    if (entry) return decodeEntry(entry, file, registry);
  }
  return undefined;
}

async function fromDockerConfig(
  registry: string,
  config: DockerConfigFile,
  path: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Credential | undefined> {
  const helpers = config.credHelpers ?? {};
  const helperKey = Object.keys(helpers).find((k) => normaliseAuthKey(k) === registry);
  if (helperKey && helpers[helperKey]) return runCredentialHelper(helpers[helperKey], registry, env, signal);
  const entry = findAuthEntry(registry, config.auths);
  if (entry) {
    const decoded = decodeEntry(entry, path, registry);
    if (decoded) return decoded;
  }
  if (config.credsStore) return runCredentialHelper(config.credsStore, registry, env, signal);
  return undefined;
}

function findAuthEntry(
  registry: string,
  auths: Record<string, DockerAuthEntry> | undefined,
): DockerAuthEntry | undefined {
  if (!auths) return undefined;
  if (auths[registry]) return auths[registry];
  for (const [key, value] of Object.entries(auths)) {
    if (normaliseAuthKey(key) === registry) return value;
  }
  return undefined;
}

function decodeEntry(entry: DockerAuthEntry, file: string, registry: string): Credential | undefined {
  if (entry.identitytoken)
    return entry.username
      ? { identityToken: entry.identitytoken, username: entry.username }
      : { identityToken: entry.identitytoken };
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  if (entry.username && entry.password !== undefined) return { username: entry.username, password: entry.password };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new TskoError(
        'TSKO_CREDENTIALS',
        `The "auth" entry for ${registry} in ${file} is not base64 of "user:password". Run docker login again or fix the file.`,
      );
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/** The server URL docker passes to credential helpers: Docker Hub keeps its legacy URL. */
function helperServerUrl(registry: string): string {
  return registry === 'docker.io' ? HUB_KEYS[0]! : registry;
}

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin, as docker does. A helper
 * that says it has no credentials means anonymous; any other failure is `TSKO_CREDENTIALS`
 * (its output is not echoed, since it may contain a secret).
 */
export async function runCredentialHelper(
  name: string,
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  let run: ProgramResult;
  try {
    // Bounded like every program tsko runs; 30 s is generous for a keychain prompt.
    run = await runProgram(program, ['get'], {
      env,
      input: helperServerUrl(registry),
      signal,
      timeoutMs: 30_000,
      maxOutputBytes: 1 << 20,
    });
  } catch (err) {
    if (isTskoError(err, 'TSKO_ABORTED')) throw err;
    const why = isTskoError(err, 'TSKO_PROGRAM_NOT_FOUND')
      ? `${program} is not on PATH`
      : isTskoError(err, 'TSKO_PROGRAM_TIMEOUT')
        ? `${program} did not answer within 30 s`
        : (err as Error).message;
    throw new TskoError(
      'TSKO_CREDENTIALS',
      `The docker config names credential helper "${name}" for ${registry}, but ${why}. Install it or remove it from the docker config.`,
      { cause: err, details: { helper: program } },
    );
  }
  const { exitCode: code, stdout, stderr } = run;
  if (code !== 0) {
    if (/credentials not found/i.test(stdout + stderr)) return undefined;
    throw new TskoError(
      'TSKO_CREDENTIALS',
      `Credential helper ${program} failed for ${registry} (exit ${code}). Run "echo ${helperServerUrl(registry)} | ${program} get" to see why.`,
    );
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new TskoError(
      'TSKO_CREDENTIALS',
      `Credential helper ${program} printed something that is not JSON for ${registry}.`,
    );
  }
  if (typeof parsed.Secret !== 'string' || typeof parsed.Username !== 'string') {
    throw new TskoError(
      'TSKO_CREDENTIALS',
      `Credential helper ${program} answered without Username and Secret for ${registry}.`,
    );
  }
  // Docker's convention: the username "<token>" marks an identity (refresh) token.
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret };
  return { username: parsed.Username, password: parsed.Secret };
}

async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new TskoError('TSKO_CREDENTIALS', `${path} is not valid JSON; fix or remove it.`, {
      cause,
      details: { file: path },
    });
  }
}
