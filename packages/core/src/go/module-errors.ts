import { isAbsolute, join } from 'node:path';
import { TskoError } from '@tsko/registry';

/**
 * go reports a go.mod or go.work it cannot parse as `go: errors parsing go.mod:` followed by
 * `FILE:LINE: problem` lines. That is a broken module, not a wrong import path, so it gets its
 * own code (`TSKO_GO_MODULE_INVALID`) naming the file and line instead of `TSKO_NOT_MAIN`.
 */
export function moduleFileError(output: string, dir: string, importPath: string): TskoError | undefined {
  const header = /errors parsing (go\.mod|go\.work)/.exec(output);
  const located = /^(.*?(?:go\.mod|go\.work)):(\d+)(?::\d+)?: (.+)$/m.exec(output);
  if (!header && !located) return undefined;
  const kind = (located?.[1]?.endsWith('go.work') ? 'go.work' : undefined) ?? header?.[1] ?? 'go.mod';
  const file = located ? (isAbsolute(located[1]!) ? located[1]! : join(dir, located[1]!)) : join(dir, kind);
  const where = located ? `${file}:${located[2]}` : file;
  const problem = located?.[3] ?? output.trim().split('\n').slice(0, 3).join(' ');
  return new TskoError(
    'TSKO_GO_MODULE_INVALID',
    `${where}: go cannot parse this ${kind} (${problem}), so ${importPath} cannot be built. Fix the file (\`go mod tidy\`, \`go ${kind === 'go.work' ? 'work' : 'mod'} edit\`), or set GOWORK=off to ignore a broken go.work.`,
    { details: { file, line: located ? Number(located[2]) : undefined, importPath, output: output.slice(0, 4000) } },
  );
}
