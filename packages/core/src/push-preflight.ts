import { asTskoError, checkPushAccess, parseRepository, TskoError, type Reference } from '@tsko/registry';
import type { BuildContext } from './build.js';

/**
 * Checks the push target's credentials once, before any build: a missing or rejected login is
 * reported in a second, not after the Go build. Called only when the publish has a registry target.
 */
export async function checkRepoAccess(ctx: BuildContext): Promise<void> {
  const repo = ctx.settings.repo;
  if (!repo) return;
  let target: Reference;
  try {
    target = parseRepository(repo);
  } catch {
    return; // a repo that is only a host, or unusual: the push itself reports what is wrong
  }
  try {
    await checkPushAccess(target, { session: ctx.session });
  } catch (err) {
    throw asPushTargetError(err, repo);
  }
}

/** Says that the failing registry is the push target, and where that was chosen. */
function asPushTargetError(err: unknown, repo: string): TskoError {
  const error = asTskoError(err, `push target ${repo}`);
  if (error.code === 'TSKO_ABORTED' || error.code === 'TSKO_UNAUTHORIZED') return error; // already names the host and what to do
  const options: ConstructorParameters<typeof TskoError>[2] = {
    cause: error,
    details: { ...(error.details ?? {}), repo },
  };
  if (error.status !== undefined) options.status = error.status;
  if (error.registryErrors) options.registryErrors = error.registryErrors;
  return new TskoError(
    error.code,
    `The push target ${repo} (options.repo or KO_DOCKER_REPO) failed its check before building: ${error.message}`,
    options,
  );
}
