import { TskoError } from '@tsko/registry';
import { TemplateSyntaxError } from './template/lexer.js';
import { parseTemplate } from './template/parser.js';
import { execute } from './template/evaluate.js';
import { TemplateExecError } from './template/values.js';

/** Values a template may read: `.Env.X`, `.Git.ShortCommit`, `.Date`, `.GoEnv.GOOS`, … */
export type TemplateData = Record<string, unknown>;

/**
 * Expands one ko build setting as Go's text/template with `missingkey=error`, as ko does for
 * `flags` and `ldflags`: actions, pipelines, `if`/`else`/`with`/`range`, variables, trim
 * markers, comments and Go's builtin functions (`printf`, `eq`, `and`, `index`, `len`, …). A
 * syntax error, an unknown function, a missing key or a wrong type is `TSKO_CONFIG_INVALID`
 * naming `where` and the template.
 */
export function expandTemplate(text: string, data: TemplateData, where: string): string {
  if (!text.includes('{{')) return text;
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  try {
    return execute(parseTemplate(text), data);
  } catch (err) {
    if (err instanceof TemplateSyntaxError || err instanceof TemplateExecError) {
      const near = text.slice(err.pos, err.pos + 40);
      const kind = err instanceof TemplateSyntaxError ? 'template syntax error' : 'template error';
      throw new TskoError('TSKO_CONFIG_INVALID', `${where}: ${kind}: ${err.message} (at "${near}" in "${shown}").`, {
        details: { template: shown, position: err.pos },
      });
    }
    throw err;
  }
}

export function expandAll(list: readonly string[] | undefined, data: TemplateData, where: string): string[] {
  return (list ?? []).map((item, i) => expandTemplate(item, data, `${where}[${i}]`));
}
