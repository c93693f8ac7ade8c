/** The prefix that marks an image to build. */
export const KO_PREFIX = 'ko://';

/**
 * The reference in a string, as ko finds them: a value that starts with `ko://` (a leading
 * space means it is not a reference; ko leaves `" ko://x"` alone), with trailing white space
 * trimmed. A bare `ko://` is returned too, so that it can be reported (ko refuses it).
 */
export function koReference(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith(KO_PREFIX)) return undefined;
  return value.trim();
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

/** ko's rule (resolve/selector.go): exactly `kind: List`; `PodList` and friends are plain objects. */
export function isList(object: unknown): boolean {
  return (object as { kind?: unknown } | null)?.kind === 'List';
}

export function hasTypeMeta(object: unknown): boolean {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return typeof o?.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '';
}
