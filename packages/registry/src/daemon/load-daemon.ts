import type { Agent } from 'undici';
import { archiveEntries, dockerArchiveStream } from '../archive/docker-archive.js';
import { guarded } from '../error-wrapping.js';
import { TskoError } from '../errors.js';
import { isImage, type Image } from '../image.js';
import type { ImageIndex } from '../image-index.js';
import { lazyImport } from '../lazy-modules.js';
import { formatPlatform, platformMatches, type Platform } from '../platform.js';

const undici = lazyImport(() => import('undici'));

/** The daemon socket: `socket`, else DOCKER_HOST (unix:// only), else /var/run/docker.sock. */
export function daemonSocket(socket: string | undefined, env: NodeJS.ProcessEnv): string {
  if (socket) return socket.replace(/^unix:\/\//, '');
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  if (host)
    throw new TskoError(
      'TSKO_DAEMON',
      `DOCKER_HOST=${host} is not a unix socket; tsko talks to daemons over unix sockets only. Pass sinks: [{ type: 'daemon', socket }].`,
    );
  return '/var/run/docker.sock';
}

/**
 * The image ko.local loads for a build (publish/daemon.go): the image itself, or from an
 * index the child for GOOS/GOARCH of the environment (default linux/amd64), whose digest then
 * names it in the daemon.
 */
export function daemonImage(node: Image | ImageIndex, env: NodeJS.ProcessEnv, what: string): Image {
  if (node.kind === 'image') return node;
  const os = env.GOOS || 'linux';
  const architecture = env.GOARCH || 'amd64';
  const wanted: Platform = { os, architecture };
  // The platform the index lists for a child: the one given when it was made, else the image's own.
  const platformOf = (c: (typeof node.children)[number]) =>
    c.platform ?? (isImage(c.image) ? c.image.platform : undefined);
  const child = node.children.find((c) => {
    const p = platformOf(c);
    return p !== undefined && platformMatches(wanted, p) && isImage(c.image);
  });
  if (!child) {
    const have = node.children.map((c) => formatPlatform(platformOf(c) ?? { os: '?', architecture: '?' })).join(', ');
    throw new TskoError(
      'TSKO_PLATFORM_NOT_FOUND',
      `ko.local loads the ${os}/${architecture} image of ${what} (GOOS/GOARCH, default linux/amd64), but the index has only ${have}; build that platform too or set GOOS/GOARCH.`,
      { details: { platform: `${os}/${architecture}` } },
    );
  }
  return child.image as Image;
}

async function call(agent: Agent, socket: string, method: 'GET' | 'POST', path: string, body?: NodeJS.ReadableStream) {
  const { request } = await undici();
  try {
    return await request(`http://docker${path}`, {
      dispatcher: agent,
      method,
      ...(body ? { body: body as never, headers: { 'content-type': 'application/x-tar' } } : {}),
    });
  } catch (cause) {
    throw new TskoError(
      'TSKO_DAEMON',
      `Cannot reach the Docker Engine API at ${socket}: ${(cause as Error).message}. Is the daemon (or podman system service) running?`,
      { cause },
    );
  }
}

/**
 * Loads an image into a Docker Engine API daemon (`ko.local` semantics) with
 * `POST /images/load`, streaming a docker archive. An index loads the child for the daemon's
 * own platform (from `GET /version`), since a daemon stores one platform per tag.
 */
export function loadIntoDaemon(
  node: Image | ImageIndex,
  repository: string,
  tags: readonly string[],
  options: { socket: string; signal?: AbortSignal },
): Promise<string[]> {
  return guarded(`Loading into the daemon at ${options.socket}`, () => load(node, repository, tags, options));
}

async function load(
  node: Image | ImageIndex,
  repository: string,
  tags: readonly string[],
  options: { socket: string; signal?: AbortSignal },
): Promise<string[]> {
  const { Agent } = await undici();
  const agent = new Agent({ connect: { socketPath: options.socket } });
  try {
    let platform: Platform | undefined;
    if (node.kind === 'index') {
      const res = await call(agent, options.socket, 'GET', '/version');
      const v = (await res.body.json().catch(() => ({}))) as { Os?: string; Arch?: string };
      if (v.Os && v.Arch) platform = { os: v.Os, architecture: v.Arch };
    }
    const entries = archiveEntries(node, repository, tags, platform).filter((e) =>
      e.repoTags.some((t) => tags.some((tag) => t === `${repository}:${tag}`)),
    );
    const res = await call(
      agent,
      options.socket,
      'POST',
      '/images/load?quiet=1',
      dockerArchiveStream(entries, options.signal),
    );
    const text = await res.body.text();
    const failure = /"error(?:Detail)?"\s*:\s*(?:\{"message":)?"([^"]+)"/.exec(text)?.[1];
    if (res.statusCode !== 200 || failure) {
      throw new TskoError(
        'TSKO_DAEMON',
        `The daemon at ${options.socket} refused the image (HTTP ${res.statusCode}): ${failure ?? text.slice(0, 300)}`,
        { status: res.statusCode },
      );
    }
    return entries.flatMap((e) => e.repoTags);
  } finally {
    await agent.close();
  }
}
