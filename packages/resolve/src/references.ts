/** The prefix that marks an image to build. */
export const KO_PREFIX = 'ko://';

/** `ko://…` with surrounding white space trimmed, or undefined if `value` is not a reference. */
export function koReference(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.startsWith(KO_PREFIX) && trimmed.length > KO_PREFIX.length ? trimmed : undefined;
}

/** Where a reference was found: `file:line` for text, `input[2].spec…` for objects. */
export interface Occurrence {
  reference: string;
  location: string;
  /** Puts the resolved image reference in place. */
  replace(ref: string): void;
}

/** Kubernetes labels of an object, if it has any. */
export function labelsOf(object: unknown): Record<string, unknown> | undefined {
  const labels = (object as { metadata?: { labels?: unknown } } | null)?.metadata?.labels;
  return labels && typeof labels === 'object' ? (labels as Record<string, unknown>) : undefined;
}

export function isList(object: unknown): boolean {
  const o = object as { kind?: unknown; items?: unknown } | null;
  return typeof o?.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items);
}

export function hasTypeMeta(object: unknown): boolean {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return typeof o?.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '';
}
