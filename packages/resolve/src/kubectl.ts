import { guarded, isTskoError, runProgram, TskoError, type ProgramResult } from '@tsko/registry';
import { isFilesInput, readManifestFiles } from './inputs.js';
import { resolveManifests, type ManifestInput, type ResolveOptions } from './resolve.js';
import { yaml } from './yaml-module.js';

export interface KubectlOptions extends ResolveOptions {
  /** The kubectl program (default `kubectl` on PATH). */
  kubectl?: string;
  /** Extra arguments after `<verb> -f -`, e.g. `['--context', 'kind-dev', '-n', 'web']`. */
  kubectlArgs?: readonly string[];
}

/** What kubectl printed and how it exited. */
export interface KubectlResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The YAML that was piped into kubectl. */
  manifests: string;
}

/**
 * Runs `kubectl <verb> -f - …args` with `manifests` on stdin, through registry's process
 * runner: stdout and stderr are bounded (4 MiB each, the rest dropped with a marker) and an
 * abort kills kubectl. A failure carries kubectl's stderr (bounded), never the manifests, which
 * may hold Secrets.
 */
export async function runKubectl(
  verb: string,
  manifests: string,
  options: KubectlOptions = {},
): Promise<KubectlResult> {
  const program = options.kubectl ?? 'kubectl';
  const args = [verb, '-f', '-', ...(options.kubectlArgs ?? [])];
  let run: ProgramResult;
  try {
    run = await runProgram(program, args, {
      env: options.environment ?? process.env,
      input: manifests,
      signal: options.signal,
    });
  } catch (err) {
    if (!isTskoError(err, 'TSKO_PROGRAM_NOT_FOUND')) throw err;
    throw new TskoError(
      'TSKO_KUBECTL_NOT_FOUND',
      `kubectl ("${program}") was not found. Install kubectl or pass the kubectl option with its path.`,
      { cause: err, details: { program } },
    );
  }
  const result: KubectlResult = { stdout: run.stdout, stderr: run.stderr, exitCode: run.exitCode ?? -1, manifests };
  if (run.exitCode !== 0) {
    throw new TskoError(
      'TSKO_KUBECTL_FAILED',
      `kubectl ${verb} exited ${run.exitCode ?? run.signal}: ${run.stderr.trim().slice(0, 4000) || '(no output)'}`,
      {
        details: {
          program,
          verb,
          exitCode: run.exitCode,
          signal: run.signal,
          stderr: run.stderr.slice(0, 64 * 1024),
          truncated: run.truncated.stderr,
        },
      },
    );
  }
  return result;
}

async function resolvedText(input: ManifestInput, kubectlOptions: KubectlOptions): Promise<string> {
  // kubectl's own settings are not build settings: keep them out of the validated plan.
  const { kubectl: _program, kubectlArgs: _args, ...options } = kubectlOptions;
  if (Array.isArray(input)) {
    const objects = await resolveManifests(input, options);
    const { stringify } = yaml();
    return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  }
  return resolveManifests(input as string, options);
}

/** `ko apply`: resolves the manifests, then `kubectl apply -f -`. */
export function apply(input: ManifestInput, options: KubectlOptions = {}): Promise<KubectlResult> {
  return guarded('apply', async () => runKubectl('apply', await resolvedText(input, options), options));
}

/** `ko create`: resolves the manifests, then `kubectl create -f -`. */
export function create(input: ManifestInput, options: KubectlOptions = {}): Promise<KubectlResult> {
  return guarded('create', async () => runKubectl('create', await resolvedText(input, options), options));
}

/**
 * `ko delete`: passes the manifests through to `kubectl delete -f -` without building
 * anything (deleting needs names, not images).
 */
export function deleteManifests(input: ManifestInput, options: KubectlOptions = {}): Promise<KubectlResult> {
  return guarded('delete', async () => {
    let text: string;
    if (typeof input === 'string') text = input;
    else if (isFilesInput(input))
      text = (await readManifestFiles(input, options.recursive ?? false, options.signal))
        .map((f) => (f.text.endsWith('\n') ? f.text : `${f.text}\n`))
        .join('---\n');
    else if (Array.isArray(input)) text = input.map((o, i) => stringifyObject(o, i)).join('---\n');
    else
      throw new TskoError('TSKO_INVALID_ARGUMENT', 'delete takes YAML text, { files: [...] }, or an array of objects.');
    return runKubectl('delete', text, options);
  });
}

function stringifyObject(object: unknown, index: number): string {
  try {
    return yaml().stringify(object, { lineWidth: 0 });
  } catch (cause) {
    throw new TskoError(
      'TSKO_INVALID_ARGUMENT',
      `input[${index}] cannot be written as YAML: ${(cause as Error).message.slice(0, 200)}.`,
      { cause, details: { location: `input[${index}]` } },
    );
  }
}
