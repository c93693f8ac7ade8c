import { TskoError } from '@tsko/registry';

/** Values a template may read: `.Env.X`, `.Git.ShortCommit`, `.Date`, `.GoEnv.GOOS`, … */
export type TemplateData = Record<string, unknown>;

/**
 * Expands ko's Go-template fields in one string: `{{.Env.VERSION}}`, `{{ .Git.ShortCommit }}`,
 * `{{.Date}}`. Only field references are supported; a key that does not exist is an error,
 * as with ko's `missingkey=error`. Other template actions (pipes, functions, `if`) are refused
 * with a clear message rather than mis-expanded.
 */
export function expandTemplate(text: string, data: TemplateData, where: string): string {
  // As Go's text/template: an action that opens and never closes is an error, not text.
  const unclosed = text.replace(/\{\{.*?\}\}/g, '').indexOf('{{');
  if (unclosed !== -1) {
    throw new TskoError('TSKO_CONFIG_INVALID', `${where}: unclosed template action "${text.slice(unclosed, unclosed + 40)}" in "${text.slice(0, 200)}"; close it with }}.`, { details: { template: text } });
  }
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_whole, expr: string) => {
    if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(expr)) {
      throw new TskoError('TSKO_CONFIG_INVALID', `${where}: template action "{{${expr}}}" is not supported; tsko expands field references such as {{.Env.NAME}}, {{.Git.ShortCommit}}, {{.Date}}.`, { details: { template: text } });
    }
    let value: unknown = data;
    const keys = expr.slice(1).split('.');
    for (const [i, key] of keys.entries()) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) {
        const path = `.${keys.slice(0, i + 1).join('.')}`;
        throw new TskoError('TSKO_CONFIG_INVALID', `${where}: template key ${path} does not exist (in "${text.slice(0, 200)}").`, { details: { template: text, key: path } });
      }
      value = (value as Record<string, unknown>)[key];
    }
    if (value !== null && typeof value === 'object') {
      throw new TskoError('TSKO_CONFIG_INVALID', `${where}: template key ${expr} is a group, not a value.`);
    }
    return String(value);
  });
}

export function expandAll(list: readonly string[] | undefined, data: TemplateData, where: string): string[] {
  return (list ?? []).map((item, i) => expandTemplate(item, data, `${where}[${i}]`));
}
