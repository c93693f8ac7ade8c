import { checkPushAccess, parseRepository, type Reference } from '@tsko/registry';
import type { BuildContext } from './build.js';

/**
 * Checks the push target's credentials once, before any build: a missing or rejected login is
 * reported in a second, not after the Go build. `ko.local` (the daemon) needs none.
 */
export async function checkRepoAccess(ctx: BuildContext): Promise<void> {
  const repo = ctx.settings.repo;
  if (!repo || repo === 'ko.local' || repo.startsWith('ko.local/')) return;
  let target: Reference;
  try {
    target = parseRepository(repo);
  } catch {
    return; // a repo that is only a host, or unusual: the push itself reports what is wrong
  }
  try {
    await checkPushAccess(target, { session: ctx.session });
  } catch (err) {
    await ctx.close();
    throw err;
  }
}
