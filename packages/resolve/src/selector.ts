import { TskoError } from '@tsko/registry';

/** One requirement of a Kubernetes label selector. */
export type Requirement =
  | { key: string; op: 'exists' | 'notExists' }
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** A parsed label selector: all requirements must hold. */
export interface Selector {
  readonly text: string;
  readonly requirements: readonly Requirement[];
  matches(labels: Readonly<Record<string, unknown>> | undefined): boolean;
}

const KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function bad(text: string, why: string): TskoError {
  return new TskoError('TSKO_INVALID_SELECTOR', `Invalid label selector "${text.slice(0, 200)}": ${why}.`, {
    details: { selector: text.slice(0, 200) },
  });
}

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw bad(text, 'unbalanced ")"');
  }
  if (depth !== 0) throw bad(text, 'unbalanced "("');
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function checkKey(text: string, key: string): string {
  if (!KEY.test(key)) throw bad(text, `"${key.slice(0, 80)}" is not a valid label key`);
  return key;
}

function checkValue(text: string, value: string): string {
  if (!VALUE.test(value)) throw bad(text, `"${value.slice(0, 80)}" is not a valid label value`);
  return value;
}

/**
 * Parses a Kubernetes label selector: `app=web`, `app==web`, `tier!=db`, `env in (a,b)`,
 * `env notin (c)`, `release` (exists), `!legacy` (does not exist), joined by commas.
 */
export function parseSelector(text: string): Selector {
  const requirements: Requirement[] = [];
  if (text.trim() !== '') {
    for (const part of splitTop(text)) {
      if (!part) throw bad(text, 'empty requirement between commas');
      const notExists = /^!\s*(\S+)$/.exec(part);
      const set = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
      const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
      if (notExists) requirements.push({ key: checkKey(text, notExists[1]!), op: 'notExists' });
      else if (set) {
        const values = set[3]!.split(',').map((v) => checkValue(text, v.trim()));
        if (values.length === 1 && values[0] === '' && set[3]!.trim() === '')
          throw bad(text, `"${set[2]}" needs at least one value`);
        requirements.push({ key: checkKey(text, set[1]!), op: set[2] as 'in' | 'notin', values });
      } else if (equality) {
        requirements.push({
          key: checkKey(text, equality[1]!),
          op: equality[2] === '!=' ? 'neq' : 'eq',
          value: checkValue(text, equality[3]!),
        });
      } else if (/^\S+$/.test(part) && !/[=!()]/.test(part))
        requirements.push({ key: checkKey(text, part), op: 'exists' });
      else throw bad(text, `cannot read "${part.slice(0, 80)}"`);
    }
  }
  return {
    text,
    requirements,
    matches(labels) {
      const has = (k: string) => labels !== undefined && Object.hasOwn(labels, k);
      const get = (k: string) => (has(k) ? String(labels![k]) : undefined);
      return requirements.every((r) => {
        switch (r.op) {
          case 'exists':
            return has(r.key);
          case 'notExists':
            return !has(r.key);
          case 'eq':
            return get(r.key) === r.value;
          case 'neq':
            return get(r.key) !== r.value;
          case 'in':
            return has(r.key) && r.values.includes(get(r.key)!);
          case 'notin':
            return !has(r.key) || !r.values.includes(get(r.key)!);
          default:
            return false;
        }
      });
    },
  };
}
