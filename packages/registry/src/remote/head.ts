import { guarded } from '../error-wrapping.js';
import { referenceIdentifier, toReference, type Reference } from '../reference.js';
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
    const target = toReference(ref);
    const session = sessionFor(options);
    try {
      return await session.client(target.registry).headManifest(target.repository, referenceIdentifier(target));
    } finally {
      if (!options.session) await session.close();
    }
  });
}
