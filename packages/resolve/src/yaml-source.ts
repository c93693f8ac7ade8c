import type { Document, LineCounter } from 'yaml';
import { TskoError } from '@tsko/registry';
import { notAList, notAnObject } from './object-tree.js';
import { hasTypeMeta, isList, koReference, labelsOf, type Occurrence } from './references.js';
import type { Selector } from './selector.js';
import { yaml } from './yaml-module.js';

/** One YAML document of one input, with what is needed to report positions. */
export interface YamlDocument {
  doc: Document;
  lines: LineCounter;
  /** File path, or `<input>` for text given directly. */
  source: string;
}

/** Parses multi-document YAML; syntax errors are `TSKO_YAML_INVALID` naming source and line. */
export function parseYamlDocuments(text: string, source: string): YamlDocument[] {
  const { isScalar, LineCounter, parseAllDocuments } = yaml();
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (!Array.isArray(docs)) return [];
  const out: YamlDocument[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      throw new TskoError('TSKO_YAML_INVALID', `${source}:${line}:${col}: ${error.message.split('\n')[0]}`, {
        details: { file: source, line },
      });
    }
    // Empty documents (a stray `---`) carry nothing to apply; ko drops them too.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    out.push({ doc, lines, source });
  }
  return out;
}

/**
 * Applies a selector as ko does: returns false if the document is dropped. A document (or a
 * List item) without apiVersion/kind is an error; inside a List, items that do not match are
 * removed in place, and a List left with no items is dropped.
 */
export function selectYaml(d: YamlDocument, selector: Selector): boolean {
  const line = (range?: readonly number[] | null) => d.lines.linePos(range?.[0] ?? 0).line;
  const where = () => `${d.source}:${line(d.doc.contents?.range)}`;
  let value: unknown;
  try {
    // yaml's default alias budget: a "billion laughs" document is refused, not expanded.
    value = d.doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (cause) {
    throw new TskoError(
      'TSKO_YAML_INVALID',
      `${where()}: ${(cause as Error).message} (YAML aliases expand to too much data).`,
      { cause, details: { file: d.source } },
    );
  }
  if (!hasTypeMeta(value)) throw notAnObject(where(), selector);
  if (!isList(value)) return selector.matches(labelsOf(value));
  const items = d.doc.get('items', true);
  const plain = (value as { items?: unknown }).items;
  if (!yaml().isSeq(items) || !Array.isArray(plain)) throw notAList(where());
  plain.forEach((item, i) => {
    if (!hasTypeMeta(item))
      throw notAnObject(`${d.source}:${line((items.items[i] as { range?: number[] } | undefined)?.range)}`, selector);
  });
  items.items = items.items.filter((_node, i) => selector.matches(labelsOf(plain[i])));
  return items.items.length > 0;
}

/** Every `ko://` string scalar in a document (map keys included), with in-place replacement. */
export function yamlOccurrences(d: YamlDocument): Occurrence[] {
  const { Scalar, visit } = yaml();
  const found: Occurrence[] = [];
  visit(d.doc, {
    Scalar(_key, node) {
      const reference = koReference(node.value);
      if (!reference) return;
      const line = d.lines.linePos(node.range?.[0] ?? 0).line;
      found.push({
        reference,
        location: `${d.source}:${line}`,
        replace(ref) {
          node.value = ref;
          // A block scalar would keep its trailing newline semantics; a reference is one line.
          if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) node.type = Scalar.PLAIN;
        },
      });
    },
  });
  return found;
}

/** Documents back to text, separated by `---`, comments and layout kept. */
export function stringifyYaml(docs: readonly YamlDocument[]): string {
  return docs
    .map(({ doc }) => {
      if (doc.directives) doc.directives.docStart = null;
      // No padding inside flow collections: `{app: web}` stays as written, as ko (yaml.v3) prints it.
      const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
      return text.endsWith('\n') ? text : `${text}\n`;
    })
    .join('---\n');
}
