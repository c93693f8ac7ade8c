import { builtins } from './functions.js';
import type { Arg, Command, ControlNode, Node, Pipe } from './parser.js';
import { goType, isMap, printValue, TemplateExecError, truth, type Value } from './values.js';

const MISSING = Symbol('no final value');
type Final = Value | typeof MISSING;

class BreakSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

/** A build flag is short; a template that writes more than this is a mistake or an attack. */
export const MAX_OUTPUT = 1 << 20;

/**
 * Executes parsed nodes with Go's text/template semantics under `missingkey=error` (as ko
 * runs them): a map key that is not there is an error, not `<no value>`.
 */
class Executor {
  private readonly vars: { name: string; value: Value }[];
  private out = '';
  constructor(
    root: Value,
    private readonly budget = { steps: 100_000 },
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  run(nodes: Node[], dot: Value): string {
    this.walkList(nodes, dot);
    return this.out;
  }

  private write(text: string): void {
    this.out += text;
    if (this.out.length > MAX_OUTPUT)
      throw new TemplateExecError(`template output exceeds ${MAX_OUTPUT} characters`, 0);
  }

  private walkList(nodes: Node[], dot: Value): void {
    for (const node of nodes) this.walk(node, dot);
  }

  private walk(node: Node, dot: Value): void {
    if (--this.budget.steps < 0) throw new TemplateExecError('template runs too long (more than 100000 steps)', 0);
    switch (node.kind) {
      case 'text':
        this.write(node.text);
        return;
      case 'action': {
        const v = this.pipe(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(printValue(v));
        return;
      }
      case 'break':
      case 'continue':
        throw new BreakSignal(node.kind);
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.pipe(dot, node.pipe);
        if (truth(v)) this.walkList(node.list, node.kind === 'with' ? v : dot);
        else if (node.elseList) this.walkList(node.elseList, dot);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.range(node, dot);
        return;
    }
  }

  private range(node: ControlNode, dot: Value): void {
    const mark = this.vars.length;
    const v = this.pipe(dot, { ...node.pipe, decl: [] });
    let items: [Value, Value][];
    if (Array.isArray(v)) items = v.map((x, i) => [i, x]);
    else if (isMap(v))
      items = Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]);
    else if (typeof v === 'number' && Number.isInteger(v))
      items = Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i]);
    else if (v === null || v === undefined) items = [];
    else throw new TemplateExecError(`range can't iterate over ${printValue(v)}`, node.pipe.pos);
    const [first, second] = node.pipe.decl;
    for (const [key, elem] of items) {
      this.vars.length = mark;
      // Go: one variable gets the element (or the integer for a range over an int); two get key and element.
      if (first) this.setVar(first, second ? key : elem, node.pipe.assign);
      if (second) this.setVar(second, elem, node.pipe.assign);
      try {
        this.walkList(node.list, elem);
      } catch (err) {
        if (!(err instanceof BreakSignal)) throw err;
        if (err.kind === 'break') break;
      }
    }
    if (!items.length && node.elseList) this.walkList(node.elseList, dot);
    this.vars.length = mark;
  }

  private setVar(name: string, value: Value, assign: boolean): void {
    if (assign) {
      for (let i = this.vars.length - 1; i >= 0; i--)
        if (this.vars[i]!.name === name) {
          this.vars[i]!.value = value;
          return;
        }
    }
    this.vars.push({ name, value });
  }

  private variable(name: string, pos: number): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    throw new TemplateExecError(`undefined variable: ${name}`, pos);
  }

  private pipe(dot: Value, pipe: Pipe): Value {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    for (const name of pipe.decl) this.setVar(name, value, pipe.assign);
    return value;
  }

  private command(dot: Value, cmd: Command, final: Final): Value {
    const [first, ...rest] = cmd.args as [Arg, ...Arg[]];
    const hasArgs = rest.length > 0 || final !== MISSING;
    switch (first.kind) {
      case 'field':
        return this.fields(dot, first.path, hasArgs, first.pos);
      case 'variable':
        return this.fields(this.variable(first.name, first.pos), first.path, hasArgs, first.pos);
      case 'chain':
        return this.fields(this.arg(dot, first.node), first.path, hasArgs, first.pos);
      case 'ident':
        return this.call(dot, first.name, rest, final, first.pos);
      case 'nil':
        throw new TemplateExecError('nil is not a command', first.pos);
      default:
        if (hasArgs)
          throw new TemplateExecError(
            `can't give argument to non-function ${printValue(this.arg(dot, first))}`,
            first.pos,
          );
        return this.arg(dot, first);
    }
  }

  private call(dot: Value, name: string, args: Arg[], final: Final, pos: number): Value {
    // and/or stop at the first argument that decides the result (Go 1.18+), returning it.
    if (name === 'and' || name === 'or') {
      const all: (() => Value)[] = args.map((a) => () => this.arg(dot, a));
      if (final !== MISSING) all.push(() => final);
      if (all.length === 0) throw new TemplateExecError(`wrong number of args for ${name}: want at least 1 got 0`, pos);
      let v: Value;
      for (const get of all) {
        v = get();
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const values = args.map((a) => this.arg(dot, a));
    if (final !== MISSING) values.push(final);
    return builtins[name]!(values, pos);
  }

  /** An argument: like a command, but a field may not take arguments and a function gets none. */
  private arg(dot: Value, a: Arg): Value {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'nil':
        return undefined;
      case 'bool':
      case 'number':
      case 'string':
        return a.value;
      case 'field':
        return this.fields(dot, a.path, false, a.pos);
      case 'variable':
        return this.fields(this.variable(a.name, a.pos), a.path, false, a.pos);
      case 'chain':
        return this.fields(this.arg(dot, a.node), a.path, false, a.pos);
      case 'ident':
        return this.call(dot, a.name, [], MISSING, a.pos);
      case 'pipe': {
        const mark = this.vars.length;
        const v = this.pipe(dot, a.pipe);
        this.vars.length = mark;
        return v;
      }
    }
  }

  private fields(receiver: Value, path: string[], hasArgs: boolean, pos: number): Value {
    let v = receiver;
    path.forEach((name, i) => {
      if (isMap(v)) {
        if (hasArgs && i === path.length - 1)
          throw new TemplateExecError(`${name} is not a method but has arguments`, pos);
        // Object.hasOwn: `.Env.__proto__` is a missing key, not Object.prototype.
        if (!Object.hasOwn(v, name)) throw new TemplateExecError(`map has no entry for key "${name}"`, pos);
        v = v[name];
      } else if (v === null || v === undefined) {
        throw new TemplateExecError(`nil pointer evaluating interface {}.${name}`, pos);
      } else {
        throw new TemplateExecError(`can't evaluate field ${name} in type ${goType(v)}`, pos);
      }
    });
    return v;
  }
}

/** Runs `nodes` over `data`; errors are `TemplateExecError` with the offset of the action. */
export function execute(nodes: Node[], data: Value): string {
  return new Executor(data).run(nodes, data);
}
