import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { freePort, run, runOk, startDaemon, stopDaemon, waitFor } from './process.js';

/**
 * podman with settings that work on these machines (see shared/notes/test-rig.md): runc,
 * cgroupfs, no network namespace, explicit ulimits, private storage, and loopback registries
 * marked insecure. Containers run with --network=host and answer on 127.0.0.1.
 */
export interface Podman {
  env: NodeJS.ProcessEnv;
  /** Runs `podman ARGS`, throwing with its output on failure. */
  cmd(args: string[], timeoutMs?: number): Promise<string>;
  /** Runs an image whose server listens on $PORT and returns the body of GET / from it. */
  runAndFetch(image: string, extraArgs?: string[]): Promise<string>;
  /** Starts `podman system service` (Docker Engine API) on a unix socket. */
  startService(): Promise<{ socket: string; stop(): Promise<void> }>;
  cleanup(): Promise<void>;
}

export async function startPodman(insecureRegistries: string[] = []): Promise<Podman> {
  const dir = await mkdtemp(join(tmpdir(), 'tsko-podman-'));
  const graphroot = join(dir, 'graph');
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await writeFile(
    join(dir, 'containers.conf'),
    `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "${join(dir, 'tmp')}"
`,
  );
  await writeFile(
    join(dir, 'storage.conf'),
    `[storage]
driver = "overlay"
runroot = "${join(dir, 'run')}"
graphroot = "${graphroot}"
`,
  );
  await writeFile(
    join(dir, 'registries.conf'),
    `unqualified-search-registries = []
${insecureRegistries.map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true\n`).join('\n')}`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
  };
  const cmd = (args: string[], timeoutMs = 180_000) => runOk('podman', args, { env, timeoutMs });
  return {
    env,
    cmd,
    async runAndFetch(image, extraArgs = []) {
      const port = await freePort();
      const name = `tsko-${port}`;
      await cmd(['run', '-d', '--name', name, '--network=host', '-e', `PORT=${port}`, ...extraArgs, image]);
      try {
        let body = '';
        await waitFor(
          `container ${image} answering on ${port}`,
          async () => {
            const res = await fetch(`http://127.0.0.1:${port}/`);
            body = await res.text();
            return res.ok;
          },
          30_000,
        ).catch(async (err) => {
          const logs = await run('podman', ['logs', name], { env });
          throw new Error(`${(err as Error).message}\ncontainer logs:\n${logs.stdout}${logs.stderr}`);
        });
        return body;
      } finally {
        await run('podman', ['rm', '-f', '-t', '0', name], { env });
      }
    },
    async startService() {
      const socket = join(dir, `docker-${Date.now()}.sock`);
      const child = startDaemon('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env });
      await waitFor('podman system service', () => pingSocket(socket), 30_000);
      return { socket, stop: () => stopDaemon(child) };
    },
    async cleanup() {
      await run('podman', ['rm', '-a', '-f', '-t', '0'], { env });
      await run('umount', ['-R', join(graphroot, 'overlay')]);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

function pingSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
