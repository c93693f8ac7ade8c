import { guarded } from '../error-wrapping.js';
import { checkReferenceParts } from '../names.js';
import { parseReference, type Reference } from '../reference.js';
import type { RegistryOptions } from '../client/registry-client.js';
import { sessionFor, type RegistrySession } from '../client/session.js';
import type { Descriptor } from '../schemas.js';

/**
 * What a reference names in its registry, from one HEAD request (go-containerregistry's
 * `remote.Head`): the manifest's digest, media type and size, or `undefined` when there is no
 * manifest under that tag or digest. Cheap enough to ask before pushing something that may
 * already be there.
 */
export function headManifest(
  ref: string | Reference,
  options: RegistryOptions & { session?: RegistrySession } = {},
): Promise<Pick<Descriptor, 'mediaType' | 'digest' | 'size'> | undefined> {
  return guarded('headManifest', async () => {
    const target = typeof ref === 'string' ? parseReference(ref) : ref;
    // A Reference object did not pass the parser: its parts go into a URL, so check them.
    if (typeof ref !== 'string') checkReferenceParts(target);
    const session = sessionFor(options);
    try {
      const identifier = target.digest ?? target.tag ?? 'latest';
      return await session.client(target.registry).headManifest(target.repository, identifier);
    } finally {
      if (!options.session) await session.close();
    }
  });
}
