import { TskoError } from '@tsko/registry';
import { hasTypeMeta, isList, koReference, labelsOf, type Occurrence } from './references.js';
import type { Selector } from './selector.js';

/** Filters top-level objects (and List items) by a selector; inputs are not modified. */
export function selectObjects(objects: readonly unknown[], selector: Selector): unknown[] {
  const out: unknown[] = [];
  objects.forEach((object, i) => {
    if (!hasTypeMeta(object)) {
      throw new TskoError('TSKO_YAML_INVALID', `input[${i}]: an object without apiVersion and kind cannot be matched against the selector "${selector.text}".`, { details: { index: i } });
    }
    if (isList(object)) {
      const list = object as { items: unknown[] };
      out.push({ ...list, items: list.items.filter((item) => selector.matches(labelsOf(item))) });
    } else if (selector.matches(labelsOf(object))) out.push(object);
  });
  return out;
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
      node.forEach((child, i) => walk(child, `${path}[${i}]`, (v) => (node[i] = v)));
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const childPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        walk(obj[key], childPath, (v) => (obj[key] = v));
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
  root.forEach((object, i) => walk(object, `input[${i}]`, (v) => (root[i] = v)));
  return found;
}
