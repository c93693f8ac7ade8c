import { lex, TemplateSyntaxError, type Token } from './lexer.js';

/** Operands of a command, as Go's text/template/parse names them. */
export type Arg =
  | { kind: 'field'; path: string[]; pos: number }
  | { kind: 'variable'; name: string; path: string[]; pos: number }
  | { kind: 'dot'; pos: number }
  | { kind: 'nil'; pos: number }
  | { kind: 'bool'; value: boolean; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'chain'; node: Arg; path: string[]; pos: number }
  | { kind: 'pipe'; pipe: Pipe; pos: number };

export interface Command {
  args: Arg[];
  pos: number;
}
export interface ControlNode {
  kind: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | undefined;
}
export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Command[];
  pos: number;
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | ControlNode
  | { kind: 'break' | 'continue'; pos: number };

/** Functions a template may call: Go's builtins. Anything else fails to parse, as in Go. */
export const BUILTINS = new Set([
  'and',
  'or',
  'not',
  'len',
  'index',
  'slice',
  'print',
  'printf',
  'println',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'html',
  'js',
  'urlquery',
  'call',
]);
const UNSUPPORTED = new Set(['define', 'template', 'block']);

class Parser {
  private i = 0;
  /** Nesting of parentheses and control blocks; deep enough for any config, shallow enough for the stack. */
  private depth = 0;
  private readonly vars: string[][] = [['$']];
  private rangeDepth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private peekNonSpace(): Token {
    while (this.peek().type === 'space') this.i++;
    return this.peek();
  }
  private expect(type: Token['type'], context: string): Token {
    const t = this.peekNonSpace();
    if (t.type !== type) throw new TemplateSyntaxError(`unexpected ${describe(t)} in ${context}`, t.pos);
    return this.next();
  }

  /** A list of nodes up to `{{end}}`/`{{else}}` (returned as the stopper) or the end. */
  list(stopAt: boolean): { nodes: Node[]; stop: 'end' | 'else' | 'eof' } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'eof') {
        if (stopAt) throw new TemplateSyntaxError('unexpected EOF', t.pos);
        return { nodes, stop: 'eof' };
      }
      if (t.type === 'text') {
        nodes.push({ kind: 'text', text: t.value });
        continue;
      }
      // t is `left`
      const word = this.peekNonSpace();
      if (word.type === 'ident' && (word.value === 'end' || word.value === 'else')) {
        if (!stopAt) throw new TemplateSyntaxError(`unexpected {{${word.value}}}`, word.pos);
        this.next();
        if (word.value === 'end') this.expect('right', '{{end}}');
        return { nodes, stop: word.value };
      }
      nodes.push(this.action());
    }
  }

  private action(): Node {
    const t = this.peekNonSpace();
    if (t.type === 'ident') {
      if (t.value === 'if' || t.value === 'with' || t.value === 'range') {
        this.next();
        return this.control(t.value);
      }
      if (t.value === 'break' || t.value === 'continue') {
        if (this.rangeDepth === 0) throw new TemplateSyntaxError(`{{${t.value}}} outside {{range}}`, t.pos);
        this.next();
        this.expect('right', `{{${t.value}}}`);
        return { kind: t.value, pos: t.pos };
      }
      if (UNSUPPORTED.has(t.value))
        throw new TemplateSyntaxError(`{{${t.value}}} (named templates) is not supported in ko build settings`, t.pos);
    }
    return { kind: 'action', pipe: this.pipeline('command', 'right') };
  }

  private nest(pos: number): void {
    if (++this.depth > 100) throw new TemplateSyntaxError('template nests more than 100 levels deep', pos);
  }

  private control(kind: 'if' | 'with' | 'range'): Node {
    this.nest(this.peek().pos);
    this.vars.push([]);
    const pipe = this.pipeline(kind, 'right');
    if (kind === 'range') this.rangeDepth++;
    const body = this.list(true);
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.stop === 'else') {
      const t = this.peekNonSpace();
      // {{else if …}} / {{else with …}} chain: one nested node that shares our {{end}}.
      if (t.type === 'ident' && (t.value === 'if' || t.value === 'with') && kind !== 'range') {
        this.next();
        elseList = [this.control(t.value)];
      } else {
        this.expect('right', '{{else}}');
        const rest = this.list(true);
        if (rest.stop !== 'end')
          throw new TemplateSyntaxError(
            `expected {{end}} after {{else}} of {{${kind}}}, found another {{else}}`,
            this.peek().pos,
          );
        elseList = rest.nodes;
      }
    }
    this.vars.pop();
    this.depth--;
    return { kind, pipe, list: body.nodes, elseList };
  }

  private pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { decl: [], assign: false, cmds: [], pos: start.pos };
    // Declarations: `$x :=`, `$x =`, or in range `$i, $e :=`.
    const save = this.i;
    if (start.type === 'variable') {
      const names = [this.next().value];
      let t = this.peekNonSpace();
      if (t.type === 'comma' && context === 'range') {
        this.next();
        names.push(this.expect('variable', 'range declaration').value);
        t = this.peekNonSpace();
      }
      if (t.type === 'declare' || t.type === 'assign') {
        this.next();
        pipe.decl = names;
        pipe.assign = t.type === 'assign';
        if (pipe.assign) for (const n of names) this.lookupVar(n, t.pos);
        else this.vars[this.vars.length - 1]!.push(...names);
      } else this.i = save;
    }
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === end) {
        this.next();
        if (pipe.cmds.length === 0) throw new TemplateSyntaxError(`missing value for ${context}`, t.pos);
        return pipe;
      }
      pipe.cmds.push(this.command(end));
      if (this.peekNonSpace().type === 'pipe') {
        const bar = this.next();
        if ([end, 'pipe'].includes(this.peekNonSpace().type))
          throw new TemplateSyntaxError('missing command after |', bar.pos);
      }
    }
  }

  private command(end: 'right' | 'rparen'): Command {
    const cmd: Command = { args: [], pos: this.peek().pos };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === end || t.type === 'pipe') break;
      if (t.type === 'right' || t.type === 'eof' || t.type === 'rparen')
        throw new TemplateSyntaxError(`unexpected ${describe(t)} in operand`, t.pos);
      cmd.args.push(this.operand());
      const after = this.peek();
      if (
        after.type !== 'space' &&
        after.type !== end &&
        after.type !== 'pipe' &&
        after.type !== 'rparen' &&
        after.type !== 'right'
      ) {
        throw new TemplateSyntaxError(`missing space before ${describe(after)}`, after.pos);
      }
    }
    if (cmd.args.length === 0) throw new TemplateSyntaxError('empty command', cmd.pos);
    return cmd;
  }

  private operand(): Arg {
    let node = this.term();
    const path: string[] = [];
    while (this.peek().type === 'field') path.push(this.next().value.slice(1));
    if (!path.length) return node;
    if (node.kind === 'field' || node.kind === 'variable') return { ...node, path: [...node.path, ...path] };
    if (['bool', 'string', 'number', 'nil', 'dot'].includes(node.kind)) {
      throw new TemplateSyntaxError(`unexpected . after term ${JSON.stringify(describeArg(node))}`, node.pos);
    }
    node = { kind: 'chain', node, path, pos: node.pos };
    return node;
  }

  private term(): Arg {
    const t = this.next();
    switch (t.type) {
      case 'field':
        return { kind: 'field', path: [t.value.slice(1)], pos: t.pos };
      case 'variable':
        this.lookupVar(t.value, t.pos);
        return { kind: 'variable', name: t.value, path: [], pos: t.pos };
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'string':
        return { kind: 'string', value: t.value, pos: t.pos };
      case 'char':
        return { kind: 'number', value: Number(t.value), text: t.value, pos: t.pos };
      case 'number': {
        const text = t.value.replace(/_/g, '');
        const sign = text.startsWith('-') ? -1 : 1;
        const digits = text.replace(/^[+-]/, '');
        // Go's literals: 0x/0b/0o prefixes, and a leading 0 alone means octal (0377 is 255).
        const value = sign * (/^0[0-7]+$/.test(digits) ? parseInt(digits, 8) : Number(digits));
        if (Number.isNaN(value)) throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(t.value)}`, t.pos);
        return { kind: 'number', value, text, pos: t.pos };
      }
      case 'lparen': {
        this.nest(t.pos);
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        this.depth--;
        return { kind: 'pipe', pipe, pos: t.pos };
      }
      case 'ident':
        if (t.value === 'true' || t.value === 'false') return { kind: 'bool', value: t.value === 'true', pos: t.pos };
        if (t.value === 'nil') return { kind: 'nil', pos: t.pos };
        if (!BUILTINS.has(t.value))
          throw new TemplateSyntaxError(`function ${JSON.stringify(t.value)} not defined`, t.pos);
        return { kind: 'ident', name: t.value, pos: t.pos };
      default:
        throw new TemplateSyntaxError(`unexpected ${describe(t)} in operand`, t.pos);
    }
  }

  private lookupVar(name: string, pos: number): void {
    if (!this.vars.some((scope) => scope.includes(name)))
      throw new TemplateSyntaxError(`undefined variable ${JSON.stringify(name)}`, pos);
  }
}

function describe(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'right') return `"${t.value}"`;
  return `<${t.value}>`;
}

function describeArg(a: Arg): string {
  if (a.kind === 'string') return JSON.stringify(a.value);
  if (a.kind === 'number') return a.text;
  if (a.kind === 'bool') return String(a.value);
  return a.kind;
}

/** Parses a template into nodes; a syntax error is a `TemplateSyntaxError` with its offset. */
export function parseTemplate(text: string): Node[] {
  return new Parser(lex(text)).list(false).nodes;
}
