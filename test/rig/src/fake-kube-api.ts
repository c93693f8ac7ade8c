import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A TEST DOUBLE for the Kubernetes API server: no kube-apiserver can be installed on these
 * machines (see shared/notes/test-rig.md), so the real kubectl talks to this. It serves
 * discovery for core/v1 and apps/v1, and stores objects in memory with create, get, replace,
 * delete and (JSON merge / strategic merge treated alike) patch: enough for
 * `kubectl apply --validate=false` to report created / unchanged / configured.
 */
export interface FakeKubeApi {
  url: string;
  kubeconfig: string;
  /** kubectl flags that point at this server without touching the user's config. */
  kubectlArgs: string[];
  objects: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const RESOURCES: Record<string, { kind: string; namespaced: boolean }[]> = {
  v1: [
    { kind: 'Pod', namespaced: true },
    { kind: 'Service', namespaced: true },
    { kind: 'ConfigMap', namespaced: true },
    { kind: 'Namespace', namespaced: false },
    { kind: 'Secret', namespaced: true },
  ],
  'apps/v1': [
    { kind: 'Deployment', namespaced: true },
    { kind: 'StatefulSet', namespaced: true },
    { kind: 'DaemonSet', namespaced: true },
  ],
};
const plural = (kind: string) => (kind.endsWith('s') ? `${kind.toLowerCase()}es` : `${kind.toLowerCase()}s`);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const objects = new Map<string, Record<string, unknown>>();
  let version = 1;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const p = url.pathname;
      if (p === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (p === '/apis')
        return send(200, {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [
            {
              name: 'apps',
              versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
              preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
            },
          ],
        });
      if (p === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0-tsko-fake' });
      const gv = p === '/api/v1' ? 'v1' : p === '/apis/apps/v1' ? 'apps/v1' : undefined;
      if (gv) {
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: gv,
          resources: RESOURCES[gv]!.map((r) => ({
            name: plural(r.kind),
            singularName: r.kind.toLowerCase(),
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          })),
        });
      }
      const m = /^\/(?:api\/v1|apis\/(apps\/v1))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(p);
      if (!m)
        return send(404, {
          kind: 'Status',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: `no route ${p}`,
        });
      const group = m[1] ?? 'v1';
      const key = `${group}/${m[2] ?? ''}/${m[3]}/${m[4] ?? ''}`;
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
        : undefined;
      const notFound = () =>
        send(404, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: `${m[3]} "${m[4]}" not found`,
          details: { name: m[4], kind: m[3] },
        });
      const stamp = (o: Record<string, unknown>) => {
        const meta = { ...((o.metadata as Record<string, unknown>) ?? {}) };
        meta.resourceVersion = String(version++);
        if (m[2]) meta.namespace = m[2];
        meta.uid ??= `uid-${version}`;
        return { ...o, metadata: meta };
      };
      switch (req.method) {
        case 'GET':
          if (!m[4])
            return send(200, {
              kind: 'List',
              apiVersion: 'v1',
              metadata: {},
              items: [...objects].filter(([k]) => k.startsWith(key)).map(([, v]) => v),
            });
          return objects.has(key) ? send(200, objects.get(key)) : notFound();
        case 'POST': {
          const name = (body?.metadata as { name?: string })?.name ?? '';
          const k = `${key}${name}`;
          if (objects.has(k))
            return send(409, {
              kind: 'Status',
              status: 'Failure',
              reason: 'AlreadyExists',
              code: 409,
              message: `${m[3]} "${name}" already exists`,
            });
          objects.set(k, stamp(body!));
          return send(201, objects.get(k));
        }
        case 'PUT':
          objects.set(key, stamp(body!));
          return send(200, objects.get(key));
        case 'PATCH':
          if (!objects.has(key)) return notFound();
          objects.set(key, stamp(mergePatch(objects.get(key), body) as Record<string, unknown>));
          return send(200, objects.get(key));
        case 'DELETE':
          if (!objects.has(key)) return notFound();
          objects.delete(key);
          return send(200, { kind: 'Status', status: 'Success', code: 200 });
        default:
          return send(405, { kind: 'Status', status: 'Failure', code: 405 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'tsko-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${url}"}}]
users: [{name: fake, user: {token: fake-token}}]
contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: default}}]
current-context: fake
`,
  );
  return {
    url,
    kubeconfig,
    kubectlArgs: [`--kubeconfig=${kubeconfig}`, `--cache-dir=${join(dir, 'cache')}`],
    objects,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
