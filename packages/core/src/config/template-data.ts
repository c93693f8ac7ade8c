import { runGo, goProgram } from '../go/run-go.js';
import { spawn } from 'node:child_process';

/** `.Git.*` fields, as ko (and GoReleaser) define them. */
export interface GitInfo {
  Branch: string;
  Tag: string;
  ShortCommit: string;
  FullCommit: string;
  CommitDate: string;
  CommitTimestamp: number;
  IsDirty: boolean;
  IsClean: boolean;
  TreeState: 'clean' | 'dirty';
}

function git(args: string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? out.trim() : undefined));
  });
}

/** Git facts of `dir`, or empty values outside a repository (as ko). */
export async function gitInfo(dir: string): Promise<GitInfo> {
  const [full, branch, tag, date, status] = await Promise.all([
    git(['rev-parse', 'HEAD'], dir),
    git(['rev-parse', '--abbrev-ref', 'HEAD'], dir),
    git(['describe', '--tags', '--abbrev=0'], dir),
    git(['log', '-1', '--format=%cI'], dir),
    git(['status', '--porcelain'], dir),
  ]);
  const dirty = (status ?? '') !== '';
  const committed = date ? new Date(date) : undefined;
  return {
    Branch: branch ?? '',
    Tag: tag ?? '',
    ShortCommit: full ? full.slice(0, 7) : '',
    FullCommit: full ?? '',
    CommitDate: committed ? committed.toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
    CommitTimestamp: committed ? Math.floor(committed.getTime() / 1000) : 0,
    IsDirty: dirty,
    IsClean: !dirty,
    TreeState: dirty ? 'dirty' : 'clean',
  };
}

/** `go env -json`, for `.GoEnv.X`. */
export async function goEnv(dir: string, env: NodeJS.ProcessEnv, goBinary?: string): Promise<Record<string, string>> {
  const res = await runGo(goProgram(goBinary, env), ['env', '-json'], { cwd: dir, env });
  try {
    return res.code === 0 ? (JSON.parse(res.stdout) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The data ko templates see; `now` makes `.Date`/`.Timestamp` fixed for one publish. */
export async function templateData(dir: string, env: NodeJS.ProcessEnv, now: Date, goBinary?: string): Promise<Record<string, unknown>> {
  const [gitFacts, goEnvironment] = await Promise.all([gitInfo(dir), goEnv(dir, env, goBinary)]);
  const envVars: Record<string, string> = { LDFLAGS: '' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) envVars[k] = v;
  return {
    Env: envVars,
    Git: gitFacts,
    GoEnv: goEnvironment,
    Date: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Timestamp: Math.floor(now.getTime() / 1000),
  };
}
