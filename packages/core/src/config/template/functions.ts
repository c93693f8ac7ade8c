import { sprint, sprintf, sprintln } from './format.js';
import { goType, isMap, TemplateExecError, truth, zeroOf, type Value } from './values.js';

/**
 * Go's text/template builtins (except `and`/`or`, which the evaluator runs lazily, and
 * `call`, which needs function values that ko's data never holds).
 */
type Builtin = (args: Value[], pos: number) => Value;

function arity(name: string, args: Value[], min: number, max: number, pos: number): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new TemplateExecError(`wrong number of args for ${name}: want ${want} got ${args.length}`, pos);
  }
}

type Kind = 'bool' | 'int' | 'float' | 'string';
function basicKind(v: Value, name: string, pos: number): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  throw new TemplateExecError(`error calling ${name}: invalid type for comparison`, pos);
}

/** Go's `eq`/`lt` rules: same basic kind (ints and floats are different kinds), no maps or lists. */
function compare(name: string, a: Value, b: Value, pos: number): number {
  const ka = basicKind(a, name, pos);
  const kb = basicKind(b, name, pos);
  // An integer constant and an integer-valued float both arrive as JS numbers; treat numbers alike.
  const numeric = (k: Kind) => k === 'int' || k === 'float';
  if (ka !== kb && !(numeric(ka) && numeric(kb)))
    throw new TemplateExecError(`error calling ${name}: incompatible types for comparison`, pos);
  if (ka === 'bool' && name !== 'eq' && name !== 'ne')
    throw new TemplateExecError(`error calling ${name}: invalid type for comparison`, pos);
  return a === b ? 0 : (a as number | string) < (b as number | string) ? -1 : 1;
}

function indexOf(item: Value, key: Value, pos: number): Value {
  if (isMap(item)) {
    if (typeof key !== 'string')
      throw new TemplateExecError(`error calling index: value has type ${goType(key)}; should be string`, pos);
    return Object.hasOwn(item, key) ? item[key] : zeroOf(item);
  }
  if (Array.isArray(item) || typeof item === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key))
      throw new TemplateExecError(`error calling index: cannot index slice/array with type ${goType(key)}`, pos);
    const len = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
    if (key < 0 || key >= len) throw new TemplateExecError(`error calling index: index out of range: ${key}`, pos);
    return typeof item === 'string' ? Buffer.from(item)[key] : item[key];
  }
  if (item === null || item === undefined)
    throw new TemplateExecError('error calling index: index of untyped nil', pos);
  throw new TemplateExecError(`error calling index: can't index item of type ${goType(item)}`, pos);
}

function escapeHtml(s: string): string {
  return s.replace(
    /[<>&'"\0]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c]!,
  );
}

function escapeJs(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go's JSEscapeString escapes exactly these control characters.
  return s.replace(/[\\'"<>&=\n\r\t\u0000-\u001f]/g, (c) => {
    const named: Record<string, string> = {
      '\\': '\\\\',
      "'": "\\'",
      '"': '\\"',
      '\n': '\\n',
      '\r': '\\r',
      '\t': '\\t',
    };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

export const builtins: Record<string, Builtin> = {
  not: (args, pos) => {
    arity('not', args, 1, 1, pos);
    return !truth(args[0]);
  },
  len: (args, pos) => {
    arity('len', args, 1, 1, pos);
    const v = args[0];
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    throw new TemplateExecError(
      `error calling len: len of ${v === null || v === undefined ? 'nil pointer' : `type ${goType(v)}`}`,
      pos,
    );
  },
  index: (args, pos) => {
    arity('index', args, 1, Infinity, pos);
    return args.slice(1).reduce((item, key) => indexOf(item, key, pos), args[0]);
  },
  slice: (args, pos) => {
    arity('slice', args, 1, 4, pos);
    const [item, ...idx] = args;
    if (typeof item !== 'string' && !Array.isArray(item))
      throw new TemplateExecError(`error calling slice: can't slice item of type ${goType(item)}`, pos);
    if (typeof item === 'string' && idx.length === 3)
      throw new TemplateExecError('error calling slice: cannot 3-index slice a string', pos);
    const len = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
    const [i = 0, j = len] = idx as number[];
    if (![i, j].every((n) => Number.isInteger(n)) || i < 0 || j < i || j > len)
      throw new TemplateExecError(`error calling slice: index out of range: ${i}:${j}`, pos);
    return typeof item === 'string' ? Buffer.from(item).subarray(i, j).toString() : item.slice(i, j);
  },
  print: (args) => sprint(args),
  println: (args) => sprintln(args),
  printf: (args, pos) => {
    arity('printf', args, 1, Infinity, pos);
    if (typeof args[0] !== 'string')
      throw new TemplateExecError(`wrong type for value; expected string; got ${goType(args[0])}`, pos);
    return sprintf(args[0], args.slice(1));
  },
  eq: (args, pos) => {
    arity('eq', args, 1, Infinity, pos);
    if (args.length === 1) throw new TemplateExecError('error calling eq: missing argument for comparison', pos);
    return args.slice(1).some((b) => compare('eq', args[0], b, pos) === 0);
  },
  ne: (args, pos) => {
    arity('ne', args, 2, 2, pos);
    return compare('ne', args[0], args[1], pos) !== 0;
  },
  lt: (args, pos) => {
    arity('lt', args, 2, 2, pos);
    return compare('lt', args[0], args[1], pos) < 0;
  },
  le: (args, pos) => {
    arity('le', args, 2, 2, pos);
    return compare('le', args[0], args[1], pos) <= 0;
  },
  gt: (args, pos) => {
    arity('gt', args, 2, 2, pos);
    return compare('gt', args[0], args[1], pos) > 0;
  },
  ge: (args, pos) => {
    arity('ge', args, 2, 2, pos);
    return compare('ge', args[0], args[1], pos) >= 0;
  },
  html: (args) => escapeHtml(sprint(args)),
  js: (args) => escapeJs(sprint(args)),
  urlquery: (args) =>
    encodeURIComponent(sprint(args))
      .replace(/%20/g, '+')
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  call: (args, pos) => {
    throw new TemplateExecError(`error calling call: non-function ${goType(args[0])} of type ${goType(args[0])}`, pos);
  },
};
