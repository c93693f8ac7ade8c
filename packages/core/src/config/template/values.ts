/**
 * Template values are plain JSON-like data (the data ko passes is maps of strings, numbers and
 * booleans). These helpers give them Go's meaning: truth, type names for messages, and how
 * `fmt` prints them with `%v`.
 */
export type Value = unknown;

/** An error while executing a template (a missing key, a wrong type), with its offset. */
export class TemplateExecError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export function isMap(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's name for the value's type, as its error messages show it. */
export function goType(v: Value): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v))
    return Object.values(v).every((x) => typeof x === 'string') ? 'map[string]string' : 'map[string]interface {}';
  return typeof v;
}

/** text/template's truth: false, 0, nil and empty strings, lists and maps are false. */
export function truth(v: Value): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** A Go float64 printed with %v (`%g` with the shortest representation). */
export function goFloatText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    return `${m}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(n);
}

/** `fmt.Sprint(v)`: what `{{.X}}` writes. A missing value prints as `<no value>`. */
export function printValue(v: Value, top = true): string {
  if (v === null || v === undefined) return top ? '<no value>' : '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloatText(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => printValue(x, false)).join(' ')}]`;
  if (isMap(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${printValue(v[k], false)}`)
      .join(' ')}]`;
  return String(v);
}

/** The zero value a missing key of this map yields through `index`. */
export function zeroOf(map: Record<string, Value>): Value {
  return goType(map) === 'map[string]string' ? '' : undefined;
}
