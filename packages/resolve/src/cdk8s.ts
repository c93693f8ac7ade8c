import { guarded, TskoError } from '@tsko/registry';
import { koReference, type Occurrence } from './references.js';
import { resolveOccurrences, type ResolveOptions } from './resolve.js';

/**
 * Builds the given `ko://` references (each once) and returns reference → digest-pinned
 * image. Use it before synthesis, since cdk8s resolvers are synchronous.
 */
export function resolveReferences(
  references: Iterable<string>,
  options: ResolveOptions = {},
): Promise<Map<string, string>> {
  return guarded('resolveReferences', async () => {
    const occurrences: Occurrence[] = [...new Set(references)].map((raw) => {
      const reference = koReference(raw);
      if (!reference)
        throw new TskoError('TSKO_INVALID_ARGUMENT', `"${String(raw).slice(0, 200)}" is not a ko:// reference.`, {
          details: { reference: String(raw).slice(0, 200) },
        });
      return { reference, location: 'resolveReferences()', replace: () => undefined };
    });
    return resolveOccurrences(occurrences, options);
  });
}

/** The part of cdk8s's `ResolutionContext` this resolver uses. */
export interface ResolutionContextLike {
  readonly value: unknown;
  replaceValue(newValue: unknown): void;
}

/**
 * A synchronous cdk8s `IResolver` (pass it in `new App({ resolvers: [...] })`) that replaces
 * each `ko://` string with its pre-resolved image. A reference that was not pre-resolved is
 * an error naming it, rather than a `ko://` string reaching the cluster.
 */
export function koResolver(resolved: ReadonlyMap<string, string>): { resolve(context: ResolutionContextLike): void } {
  return {
    resolve(context) {
      const reference = koReference(context.value);
      if (!reference) return;
      const image = resolved.get(reference);
      if (image === undefined) {
        throw new TskoError(
          'TSKO_UNRESOLVED_REFERENCE',
          `${reference} was not pre-resolved; include it in resolveReferences() before synthesizing.`,
          { details: { reference } },
        );
      }
      context.replaceValue(image);
    },
  };
}
