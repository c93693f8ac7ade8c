import { TskoError } from '@tsko/registry';
import { acceptedForms, unknownKeysMessage } from './option-messages.js';
import { checkExecutionOptions, EXECUTION_KEYS, type ExecutionOptions } from './options/execution.js';
import { checkPlan, PLAN_KEYS, type BuildPlan, type OptionIssue, type ParsedOptions } from './options/plan.js';

export type { BuildPlan } from './options/plan.js';
export type {
  BuildCacheOptions,
  DaemonSink,
  ExecutionOptions,
  LayoutSink,
  SinkSpec,
  TarballSink,
} from './options/execution.js';

/**
 * The options of `publish`, `build` and `createPublisher`: a {@link BuildPlan} (what to build)
 * and {@link ExecutionOptions} (where it goes, how it runs) side by side in one object.
 */
export type PublishOptions = BuildPlan & ExecutionOptions;

// A name in both halves would be routed to one and silently lost to the other.
const disjoint: [Extract<keyof BuildPlan, keyof ExecutionOptions>] extends [never] ? true : false = true;
void disjoint;

/** Every option name `publish` knows, derived from the two schemas. */
export const PUBLISH_OPTION_KEYS: readonly (keyof PublishOptions)[] = [...PLAN_KEYS, ...EXECUTION_KEYS];

const planKeys = new Set<string>(PLAN_KEYS);
const executionKeys = new Set<string>(EXECUTION_KEYS);

/** The flat options of `publish` from a plan and its execution. */
export function publishOptions(plan: BuildPlan, execution: ExecutionOptions = {}): PublishOptions {
  return { ...plan, ...execution };
}

/**
 * Separates the options `publish` knows from the rest, by the schemas' own key lists, for
 * callers such as `@tsko/resolve` that take core's options beside their own.
 */
export function pickPublishOptions(options: object): { publish: PublishOptions; rest: Record<string, unknown> } {
  const publish: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (planKeys.has(k) || executionKeys.has(k)) publish[k] = v;
    else rest[k] = v;
  }
  return { publish: publish as PublishOptions, rest };
}

function checkObject(options: unknown): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TskoError(
      'TSKO_CONFIG_INVALID',
      `options must be an object; got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`,
      { details: { field: '(options)' } },
    );
  }
}

/** Splits and validates options into the plan (plain data) and its execution. */
export function splitOptions(options: PublishOptions = {}): { plan: BuildPlan; exec: ExecutionOptions } {
  checkObject(options);
  const planInput: Record<string, unknown> = {};
  const execInput: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(options)) {
    if (planKeys.has(k)) planInput[k] = v;
    else if (executionKeys.has(k)) execInput[k] = v;
    else unknown.push(k);
  }
  if (unknown.length) {
    throw new TskoError('TSKO_CONFIG_INVALID', unknownKeysMessage(unknown, PUBLISH_OPTION_KEYS), {
      details: { field: unknown[0]!, unknownKeys: unknown },
    });
  }
  const plan = valid(checkPlan(planInput), planInput);
  const exec = valid(checkExecutionOptions(execInput), execInput);
  return { plan, exec };
}

/** Validates only the execution options among `options` (for a caller that builds nothing itself). */
export function checkExecution(options: object): void {
  checkObject(options);
  const input = Object.fromEntries(Object.entries(options).filter(([k]) => executionKeys.has(k)));
  valid(checkExecutionOptions(input), input);
}

function valid<T>(parsed: ParsedOptions<T>, input: Record<string, unknown>): T {
  if (parsed.ok) return parsed.value;
  throw optionError(parsed.error.issues[0]!, input, parsed.error);
}

/** One message per issue, in the caller's words: the field, what it must be, what it got. */
function optionError(issue: OptionIssue, input: Record<string, unknown>, cause: Error): TskoError {
  const field = issue.path.map(String).join('.') || '(options)';
  const top = String(issue.path[0] ?? '');
  // A wrong shape (a string where a list goes) gets the accepted forms; a bad entry inside a
  // list keeps zod's precise message.
  const forms = issue.path.length >= 1 && !Array.isArray(input[top]) ? acceptedForms(top, input[top]) : undefined;
  const keys = issue.code === 'unrecognized_keys' && issue.keys ? ` (${issue.keys.join(', ')})` : '';
  const message = issue.message.startsWith('must be')
    ? `options.${field} ${issue.message}.`
    : `options.${field}: ${issue.message}${keys}.`;
  return new TskoError('TSKO_CONFIG_INVALID', forms ?? message, { cause, details: { field } });
}
