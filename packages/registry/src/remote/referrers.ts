import type { Digest } from '../digest.js';
import type { Descriptor } from '../schemas.js';
import { MediaType } from '../media-types.js';
import { parseReference, type Reference } from '../reference.js';
import type { RegistryOptions } from '../client/registry-client.js';
import { sessionFor, type RegistrySession } from '../client/session.js';

const REFERRERS_LIMIT = 4 << 20;

/**
 * The OCI 1.1 referrers of a manifest: `GET /v2/<name>/referrers/<digest>`. Returns the
 * descriptors of every manifest whose `subject` is `digest`, or `undefined` when the registry
 * has no referrers API (it answers 404, as distribution 2.8 does, or with something that is
 * not an image index); clients then fall back to tags, as the distribution spec says.
 */
export async function listReferrers(
  repository: string | Reference,
  digest: Digest,
  options: RegistryOptions & { session?: RegistrySession; artifactType?: string } = {},
): Promise<Descriptor[] | undefined> {
  const target = typeof repository === 'string' ? parseReference(repository) : repository;
  const client = sessionFor(options).client(target.registry);
  const query: Record<string, string> = options.artifactType ? { artifactType: options.artifactType } : {};
  const res = await client.request(
    {
      method: 'GET',
      path: `/v2/${target.repository}/referrers/${digest}`,
      query,
      headers: { accept: MediaType.OCI_INDEX },
      followRedirects: true,
    },
    client.scopes(target.repository, ['pull']),
  );
  if (res.status === 404) {
    await res.body.dump().catch(() => undefined);
    return undefined;
  }
  if (res.status !== 200)
    throw await client.fail(res, `Listing referrers of ${target.registry}/${target.repository}@${digest}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > REFERRERS_LIMIT) {
      res.body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  let index: { mediaType?: string; manifests?: unknown };
  try {
    index = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof index;
  } catch {
    return undefined;
  }
  if (!Array.isArray(index.manifests) || (index.mediaType !== undefined && index.mediaType !== MediaType.OCI_INDEX))
    return undefined;
  return index.manifests as Descriptor[];
}
