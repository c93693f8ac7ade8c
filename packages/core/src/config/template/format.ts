import { goFloatText, goType, isMap, printValue, type Value } from './values.js';

const MAX_WIDTH = 10_000;

/**
 * Go's `fmt.Sprintf` for the verbs templates use: %v %s %d %q %x %X %o %b %c %t %f %e %g %%,
 * with flags (`-`, `0`, `+`, space, `#`), width and precision. A verb that does not fit its
 * operand prints Go's `%!d(string=x)` marker instead of failing, as Go does.
 */
export function sprintf(format: string, args: readonly Value[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    const m = /^%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?(.?)/su.exec(format.slice(pct))!;
    i = pct + m[0].length;
    const verb = m[4]!;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (verb === '') {
      out += '%!(NOVERB)';
      continue;
    }
    const flags = m[1]!;
    // Go would pad to any width; a flag value never needs more than this, and memory is finite.
    if (Number(m[2]) > MAX_WIDTH || Number(m[3]) > MAX_WIDTH) {
      out += `%!${verb}(BADWIDTH)`;
      argIndex++;
      continue;
    }
    let width = m[2] === '*' ? Number(args[argIndex++]) : m[2] ? Number(m[2]) : undefined;
    const precision = m[3] === '*' ? Number(args[argIndex++]) : m[3] !== undefined ? Number(m[3] || 0) : undefined;
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++];
    let text = formatOne(verb, arg, flags, precision);
    if (width !== undefined && Number.isFinite(width)) {
      if (width < 0) width = -width;
      const pad = width - [...text].length;
      if (pad > 0) {
        if (flags.includes('-')) text += ' '.repeat(pad);
        else if (flags.includes('0') && /[dfegxXob]/.test(verb) && typeof arg === 'number') {
          const sign = /^[+-]/.test(text) ? text[0]! : '';
          text = sign + '0'.repeat(pad) + text.slice(sign.length);
        } else text = ' '.repeat(pad) + text;
      }
    }
    out += text;
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${goType(a)}=${printValue(a, false)}`)
      .join(', ')})`;
  }
  return out;
}

function bad(verb: string, arg: Value): string {
  return `%!${verb}(${goType(arg)}=${printValue(arg, false)})`;
}

function signed(text: string, n: number, flags: string): string {
  if (n >= 0 && flags.includes('+')) return `+${text}`;
  if (n >= 0 && flags.includes(' ')) return ` ${text}`;
  return text;
}

function formatOne(verb: string, arg: Value, flags: string, precision: number | undefined): string {
  const isInt = typeof arg === 'number' && Number.isInteger(arg);
  switch (verb) {
    case 'v':
      if (flags.includes('#') && typeof arg === 'string') return JSON.stringify(arg);
      return typeof arg === 'number' ? signed(printValue(arg), arg, flags) : printValue(arg, false);
    case 's':
      if (typeof arg === 'string') return precision === undefined ? arg : [...arg].slice(0, precision).join('');
      if (Array.isArray(arg) || isMap(arg)) return printValue(arg, false);
      return bad(verb, arg);
    case 'q':
      if (typeof arg === 'string')
        return flags.includes('#') && !arg.includes('`') ? `\`${arg}\`` : JSON.stringify(arg);
      if (isInt) return `'${String.fromCodePoint(arg as number)}'`;
      return bad(verb, arg);
    case 'T':
      return goType(arg);
    case 't':
      return typeof arg === 'boolean' ? String(arg) : bad(verb, arg);
    case 'c':
      return isInt ? String.fromCodePoint(arg as number) : bad(verb, arg);
    case 'd':
    case 'o':
    case 'b':
    case 'x':
    case 'X': {
      if (isInt) {
        const n = arg as number;
        const radix = { d: 10, o: 8, b: 2, x: 16, X: 16 }[verb]!;
        let digits = Math.abs(n).toString(radix);
        if (verb === 'X') digits = digits.toUpperCase();
        if (precision !== undefined) digits = digits.padStart(precision, '0');
        if (flags.includes('#'))
          digits = (({ o: '0', x: '0x', X: '0X', b: '0b' } as Record<string, string>)[verb] ?? '') + digits;
        return signed((n < 0 ? '-' : '') + digits, n, flags);
      }
      if (typeof arg === 'string' && (verb === 'x' || verb === 'X')) {
        const hex = Buffer.from(arg, 'utf8').toString('hex');
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      return bad(verb, arg);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof arg !== 'number') return bad(verb, arg);
      const v = verb.toLowerCase();
      let text: string;
      if (v === 'f') text = arg.toFixed(precision ?? 6);
      else if (v === 'e') text = arg.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else text = precision === undefined ? goFloatText(arg) : Number(arg.toPrecision(precision || 1)).toString();
      if (verb === 'E' || verb === 'G') text = text.toUpperCase();
      return signed(text, arg, flags);
    }
    default:
      return `%!${verb}(${goType(arg)}=${printValue(arg, false)})`;
  }
}

/** `fmt.Sprint`: a space between two operands when neither is a string. */
export function sprint(args: readonly Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(a, false);
  });
  return out;
}

/** `fmt.Sprintln`: spaces between all operands, and a newline. */
export function sprintln(args: readonly Value[]): string {
  return `${args.map((a) => printValue(a, false)).join(' ')}\n`;
}
