import { TskoError } from '@tsko/registry';
import { hasTypeMeta, isList, koReference, labelsOf, type Occurrence } from './references.js';
import type { Selector } from './selector.js';

/**
 * Filters top-level objects (and List items) by a selector, as ko does: an object without
 * apiVersion/kind (a List item too) is an error, a List keeps its matching items and is dropped
 * when none match. Inputs are not modified.
 */
export function selectObjects(objects: readonly unknown[], selector: Selector): unknown[] {
  const out: unknown[] = [];
  objects.forEach((object, i) => {
    const where = `input[${i}]`;
    if (!hasTypeMeta(object)) throw notAnObject(where, selector);
    if (isList(object)) {
      const items = (object as { items?: unknown }).items;
      if (!Array.isArray(items)) throw notAList(where);
      items.forEach((item, j) => {
        if (!hasTypeMeta(item)) throw notAnObject(`${where}.items[${j}]`, selector);
      });
      const kept = items.filter((item) => selector.matches(labelsOf(item)));
      if (kept.length) out.push({ ...(object as object), items: kept });
    } else if (selector.matches(labelsOf(object))) out.push(object);
  });
  return out;
}

/** ko: "yaml doesn't represent a k8s object". */
export function notAnObject(where: string, selector: Selector): TskoError {
  return new TskoError(
    'TSKO_YAML_INVALID',
    `${where}: an object without apiVersion and kind cannot be matched against the selector "${selector.text}".`,
    { details: { location: where } },
  );
}

/** ko: "yaml is not a valid k8s list". */
export function notAList(where: string): TskoError {
  return new TskoError('TSKO_YAML_INVALID', `${where}: a kind: List needs an items sequence.`, {
    details: { location: where },
  });
}

/** Deeper than any real manifest, far below what overflows Node's stack. */
const MAX_DEPTH = 1000;

/**
 * Refuses an input that is not a tree: an object met again on its own path (a cycle, which
 * would recurse until the stack overflows) or nesting deeper than any manifest has. Runs
 * before the input is copied, since copying such an input fails without saying where.
 */
export function checkTree(root: readonly unknown[]): void {
  const ancestors = new Set<object>();
  // An explicit stack: the check itself must not overflow on the inputs it exists to refuse.
  const stack: { node: unknown; path: string; leave?: boolean }[] = root
    .map((node, i) => ({ node, path: `input[${i}]` }))
    .reverse();
  while (stack.length) {
    const { node, path, leave } = stack.pop()!;
    if (leave) {
      ancestors.delete(node as object);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (ancestors.has(node)) {
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `${path} refers back to an object that contains it (a cycle); Kubernetes objects must be trees.`,
        { details: { location: path } },
      );
    }
    if (ancestors.size >= MAX_DEPTH) {
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `${path.slice(0, 120)}… is nested more than ${MAX_DEPTH} levels deep.`,
        { details: { location: path.slice(0, 300) } },
      );
    }
    ancestors.add(node);
    stack.push({ node, path, leave: true });
    const children = Array.isArray(node)
      ? node.map((c, i) => [`${path}[${i}]`, c] as const)
      : Object.entries(node).map(
          ([k, c]) => [/^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, c] as const,
        );
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]![1], path: children[i]![0] });
  }
}

/** Every `ko://` string (values and keys) in an object tree, with in-place replacement. */
export function objectOccurrences(root: unknown[]): Occurrence[] {
  const found: Occurrence[] = [];
  const walk = (node: unknown, path: string, set: (v: unknown) => void) => {
    const reference = koReference(node);
    if (reference) {
      found.push({ reference, location: path, replace: (ref) => set(ref) });
      return;
    }
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) {
        walk(child, `${path}[${i}]`, (v) => {
          node[i] = v;
        });
      }
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const childPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        walk(obj[key], childPath, (v) => {
          obj[key] = v;
        });
        const keyRef = koReference(key);
        if (keyRef) {
          found.push({
            reference: keyRef,
            location: `${path} (key ${JSON.stringify(key)})`,
            replace(ref) {
              // Rebuild the object so the renamed key keeps its position.
              const entries = Object.entries(obj).map(([k, v]) => [k === key ? ref : k, v] as const);
              for (const k of Object.keys(obj)) delete obj[k];
              for (const [k, v] of entries) obj[k] = v;
            },
          });
        }
      }
    }
  };
  for (const [i, object] of root.entries()) {
    walk(object, `input[${i}]`, (v) => {
      root[i] = v;
    });
  }
  return found;
}
