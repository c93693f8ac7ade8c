import { isTskoError, runProgram, TskoError } from '@tsko/registry';

export interface GoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `go` program to run: `goBinary`, else `KO_GO_PATH`, else `go` on PATH (as ko). */
export function goProgram(goBinary: string | undefined, env: NodeJS.ProcessEnv): string {
  return goBinary ?? env.KO_GO_PATH ?? 'go';
}

/**
 * Runs the Go tool through registry's process runner (output bounded at 4 MiB per stream,
 * killed when `signal` aborts). A missing Go tool is `TSKO_GO_NOT_FOUND` with install advice.
 * `onStderrLine` sees each stderr line as it arrives (a cold build prints module downloads long
 * before it ends). stdout is data (`go list -json`, `go env -json`): cut short it would be
 * misread, so that fails instead.
 */
export async function runGo(
  program: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    signal?: AbortSignal | undefined;
    onStderrLine?: ((line: string) => void) | undefined;
  },
): Promise<GoRun> {
  try {
    const run = await runProgram(program, args, options);
    if (run.truncated.stdout) {
      throw new TskoError('TSKO_PROGRAM_FAILED', `${program} ${args[0] ?? ''} printed more output than tsko reads.`, {
        details: { program, exitCode: run.exitCode, truncated: true },
      });
    }
    return { code: run.exitCode, stdout: run.stdout, stderr: run.stderr };
  } catch (err) {
    if (!isTskoError(err, 'TSKO_PROGRAM_NOT_FOUND')) throw err;
    throw new TskoError(
      'TSKO_GO_NOT_FOUND',
      `The Go tool "${program}" was not found. Install Go (e.g. apt-get install golang-go), or point KO_GO_PATH / goBinary at it.`,
      { cause: err, details: { program } },
    );
  }
}
