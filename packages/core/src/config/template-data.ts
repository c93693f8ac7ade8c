import { runProgram } from '@tsko/registry';
import { runGo, goProgram } from '../go/run-go.js';
import type { TemplateData } from './templates.js';

/** `.Git.*` fields, as ko's TemplateValue() defines them. */
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

/**
 * One git fact, or undefined where git is missing, fails or is not a repository (ko then leaves
 * the field empty). Output is small (a hash, a branch, `status --porcelain` is only tested for
 * being empty); the time limit keeps a wedged git (a lock, a network filesystem) from hanging a build.
 */
async function git(args: string[], cwd: string): Promise<string | undefined> {
  try {
    const run = await runProgram('git', args, { cwd, timeoutMs: 30_000, maxOutputBytes: 1 << 20 });
    return run.exitCode === 0 ? run.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Go's zero time.Time, which ko formats when there is no commit. */
const ZERO_TIME = { date: '0001-01-01T00:00:00Z', unix: -62135596800 };

/**
 * Git facts of `dir` as ko reads them: outside a repository every field is empty (and the
 * commit date Go's zero time); inside one without tags, `Tag` is `v0.0.0`.
 */
export async function gitInfo(dir: string): Promise<GitInfo> {
  const inside = await git(['rev-parse', '--is-inside-work-tree'], dir);
  if (inside !== 'true') {
    return {
      Branch: '',
      Tag: '',
      ShortCommit: '',
      FullCommit: '',
      CommitDate: ZERO_TIME.date,
      CommitTimestamp: ZERO_TIME.unix,
      IsDirty: false,
      IsClean: true,
      TreeState: 'clean',
    };
  }
  const [full, short, branch, tag, seconds, status] = await Promise.all([
    git(['show', '--format=%H', 'HEAD', '--quiet'], dir),
    git(['show', '--format=%h', 'HEAD', '--quiet'], dir),
    git(['rev-parse', '--abbrev-ref', 'HEAD', '--quiet'], dir),
    git(['describe', '--tags', '--abbrev=0', 'HEAD'], dir),
    git(['show', '--format=%ct', 'HEAD', '--quiet'], dir),
    git(['status', '--porcelain'], dir),
  ]);
  // ko counts a failing `git status` as dirty too.
  const dirty = status === undefined || status !== '';
  const unix = seconds ? Number(seconds) : undefined;
  return {
    Branch: branch ?? '',
    Tag: tag || 'v0.0.0',
    ShortCommit: short ?? '',
    FullCommit: full ?? '',
    CommitDate: unix !== undefined ? new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : ZERO_TIME.date,
    CommitTimestamp: unix ?? ZERO_TIME.unix,
    IsDirty: dirty,
    IsClean: !dirty,
    TreeState: dirty ? 'dirty' : 'clean',
  };
}

/** `go env -json` of the host, the starting point of `.GoEnv`. */
export async function goEnv(dir: string, env: NodeJS.ProcessEnv, goBinary?: string): Promise<Record<string, string>> {
  const res = await runGo(goProgram(goBinary, env), ['env', '-json'], { cwd: dir, env });
  try {
    return res.code === 0 ? (JSON.parse(res.stdout) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** What a build context learns once: git facts and the host's `go env`. */
export interface HostFacts {
  git: GitInfo;
  goEnv: Record<string, string>;
}

/** Reads git and `go env` for a build context (only when a setting holds a template). */
export async function hostFacts(dir: string, env: NodeJS.ProcessEnv, goBinary?: string): Promise<HostFacts> {
  const [gitFacts, goEnvironment] = await Promise.all([gitInfo(dir), goEnv(dir, env, goBinary)]);
  return { git: gitFacts, goEnv: goEnvironment };
}

/**
 * The data ko's templates see for one platform build (ko's createTemplateData):
 * - `Env`: the environment `go build` gets (the platform's GOOS/GOARCH/CGO_ENABLED, the
 *   caller's environment, then `defaultEnv` / `builds[].env`), plus `LDFLAGS` (empty) if unset;
 * - `GoEnv`: the host's `go env`, with every key that `Env` also has taken from `Env`, so
 *   `.GoEnv.GOARCH` is the target's;
 * - `Date` / `Timestamp`: `created` (SOURCE_DATE_EPOCH) when given, else `now`, so templated
 *   ldflags stay reproducible.
 */
export function templateData(
  facts: HostFacts,
  buildEnv: NodeJS.ProcessEnv,
  created: Date | undefined,
  now: Date,
): TemplateData {
  const envVars: Record<string, string> = { LDFLAGS: '' };
  for (const [k, v] of Object.entries(buildEnv)) if (v !== undefined) envVars[k] = v;
  const goEnvironment = { ...facts.goEnv };
  for (const k of Object.keys(goEnvironment)) if (Object.hasOwn(envVars, k)) goEnvironment[k] = envVars[k]!;
  const date = created ?? now;
  return {
    Env: envVars,
    GoEnv: goEnvironment,
    Git: { ...facts.git },
    Date: date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Timestamp: Math.floor(date.getTime() / 1000),
  };
}
