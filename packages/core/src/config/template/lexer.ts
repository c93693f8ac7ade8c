/**
 * The lexer of tsko's Go text/template subset (the language ko runs over `flags` and
 * `ldflags`). It follows Go's text/template/parse lexer: `{{`/`}}` delimiters, `{{- ` and
 * ` -}}` trim markers that eat the white space beside them, `{{/* comments *\/}}`, and inside
 * actions fields, variables, identifiers, strings, numbers and punctuation.
 */
export type TokenType =
  | 'text'
  | 'left'
  | 'right'
  | 'field'
  | 'ident'
  | 'variable'
  | 'dot'
  | 'string'
  | 'char'
  | 'number'
  | 'lparen'
  | 'rparen'
  | 'pipe'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'space'
  | 'eof';

export interface Token {
  type: TokenType;
  /** Source text; for `string` and `char`, the decoded value. */
  value: string;
  /** Offset in the template, for error messages. */
  pos: number;
}

/** A template syntax error, with its offset; the caller adds the file and field. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

const SPACE = /[ \t\r\n]/;
const ALNUM = /[\p{L}\p{N}_]/u;

function unquote(raw: string, pos: number): string {
  try {
    // Go's interpreted strings use the same escapes as JSON apart from \a \b \f \v \x \' and octal.
    const converted = raw
      .slice(1, -1)
      .replace(/\\(x[0-9a-fA-F]{2}|[0-7]{3}|[abfv']|U[0-9a-fA-F]{8})/g, (_m, e: string) => {
        if (e[0] === 'x') return `\\u00${e.slice(1)}`;
        if (e[0] === 'U')
          return String.fromCodePoint(parseInt(e.slice(1), 16)).replace(
            /[\s\S]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
          );
        if (/^[0-7]{3}$/.test(e)) return `\\u00${parseInt(e, 8).toString(16).padStart(2, '0')}`;
        return { a: '\\u0007', b: '\\b', f: '\\f', v: '\\u000b', "'": "'" }[e]!;
      });
    return JSON.parse(`"${converted}"`) as string;
  } catch {
    throw new TemplateSyntaxError(`bad string syntax: ${raw}`, pos);
  }
}

/** Splits a template into tokens; `right` ends every action, `eof` ends the list. */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= input.length) {
    const open = input.indexOf('{{', i);
    let text = input.slice(i, open === -1 ? input.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    const trimBefore = open !== -1 && input[open + 2] === '-' && SPACE.test(input[open + 3] ?? '');
    if (trimBefore) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) tokens.push({ type: 'text', value: text, pos: i });
    if (open === -1) break;
    i = open + 2 + (trimBefore ? 2 : 0);
    // A comment is a whole action: {{/* … */}}.
    if (input.startsWith('/*', i)) {
      const end = input.indexOf('*/', i + 2);
      if (end === -1) throw new TemplateSyntaxError('unclosed comment', open);
      i = end + 2;
      const trimmed = input.startsWith(' -}}', i) || input.startsWith('\t-}}', i) || input.startsWith('\n-}}', i);
      if (trimmed) i += 4;
      else if (input.startsWith('}}', i)) i += 2;
      else throw new TemplateSyntaxError('comment ends before closing delimiter', open);
      trimNext = trimmed;
      continue;
    }
    tokens.push({ type: 'left', value: '{{', pos: open });
    i = lexAction(input, i, tokens);
    const right = tokens[tokens.length - 1]!;
    trimNext = right.value === '-}}';
  }
  tokens.push({ type: 'eof', value: '', pos: input.length });
  return tokens;
}

function lexAction(input: string, start: number, tokens: Token[]): number {
  let i = start;
  let parens = 0;
  for (;;) {
    const c = input[i];
    const pos = i;
    if (c === undefined) throw new TemplateSyntaxError('unclosed action', start);
    if (SPACE.test(c)) {
      let j = i;
      while (j < input.length && SPACE.test(input[j]!)) j++;
      if (input.startsWith('-}}', j)) {
        tokens.push({ type: 'right', value: '-}}', pos: j });
        return j + 3;
      }
      tokens.push({ type: 'space', value: ' ', pos });
      i = j;
      continue;
    }
    if (input.startsWith('}}', i)) {
      if (parens > 0) throw new TemplateSyntaxError('unclosed left paren', i);
      tokens.push({ type: 'right', value: '}}', pos });
      return i + 2;
    }
    if (c === '|') {
      tokens.push({ type: 'pipe', value: c, pos });
      i++;
      continue;
    }
    if (c === ',') {
      tokens.push({ type: 'comma', value: c, pos });
      i++;
      continue;
    }
    if (c === '(') {
      parens++;
      tokens.push({ type: 'lparen', value: c, pos });
      i++;
      continue;
    }
    if (c === ')') {
      if (--parens < 0) throw new TemplateSyntaxError('unexpected right paren', i);
      tokens.push({ type: 'rparen', value: c, pos });
      i++;
      continue;
    }
    if (input.startsWith(':=', i)) {
      tokens.push({ type: 'declare', value: ':=', pos });
      i += 2;
      continue;
    }
    if (c === '=') {
      tokens.push({ type: 'assign', value: '=', pos });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') {
        if (input[j] === '\n') throw new TemplateSyntaxError('unterminated quoted string', i);
        j += input[j] === '\\' ? 2 : 1;
      }
      if (j >= input.length) throw new TemplateSyntaxError('unterminated quoted string', i);
      tokens.push({ type: 'string', value: unquote(input.slice(i, j + 1), i), pos });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = input.indexOf('`', i + 1);
      if (j === -1) throw new TemplateSyntaxError('unterminated raw quoted string', i);
      tokens.push({ type: 'string', value: input.slice(i + 1, j), pos });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\.[^']*|[^\\'])'/u.exec(input.slice(i));
      if (!m) throw new TemplateSyntaxError('unterminated character constant', i);
      const ch = m[1]!.startsWith('\\') ? unquote(`"${m[1]}"`, i) : m[1]!;
      tokens.push({ type: 'char', value: String(ch.codePointAt(0)), pos });
      i += m[0].length;
      continue;
    }
    if (c === '$' || (c === '.' && ALNUM.test(input[i + 1] ?? '') && !/[0-9]/.test(input[i + 1]!))) {
      let j = i + 1;
      while (j < input.length && ALNUM.test(input[j]!)) j++;
      tokens.push({ type: c === '$' ? 'variable' : 'field', value: input.slice(i, j), pos });
      i = j;
      continue;
    }
    const num =
      /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)(?![\p{L}\p{N}_.])/u.exec(
        input.slice(i),
      );
    if (num && /[0-9]/.test(num[0])) {
      tokens.push({ type: 'number', value: num[0], pos });
      i += num[0].length;
      continue;
    }
    if (c === '.') {
      tokens.push({ type: 'dot', value: c, pos });
      i++;
      continue;
    }
    if (ALNUM.test(c)) {
      let j = i;
      while (j < input.length && ALNUM.test(input[j]!)) j++;
      tokens.push({ type: 'ident', value: input.slice(i, j), pos });
      i = j;
      continue;
    }
    throw new TemplateSyntaxError(`unrecognized character in action: ${JSON.stringify(c)}`, i);
  }
}
