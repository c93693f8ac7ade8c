import { resolve } from 'node:path';
import type { Settings } from '../config/settings.js';
import type { Runtime } from '../config/runtime.js';
import { daemonTarget } from './daemon-target.js';
import { layoutTarget } from './layout-target.js';
import { registryTarget } from './registry-target.js';
import type { PublishTarget } from './target.js';
import { tarballTarget } from './tarball-target.js';

const KO_LOCAL = 'ko.local';

/** ko's rule (commands/resolver.go): a repo under `ko.local` means "load into the daemon", never push. */
export const isLocalRepo = (repo: string | undefined): boolean => repo?.startsWith(KO_LOCAL) ?? false;

/** The targets of a publish, in the order they are written, and the one whose reference is the result's. */
export interface ChosenTargets {
  targets: PublishTarget[];
  /** The registry target, when the publish pushes (its credentials are checked before building). */
  registry: PublishTarget | undefined;
  /** Names the result; without one, the result gets ko's `--push=false` reference. */
  naming: PublishTarget | undefined;
}

/**
 * Chooses where each image of a publish goes, once: the registry under `repo` (when pushing
 * and not `ko.local`), then the sinks in the caller's order. `ko.local` makes every daemon
 * sink a ko.local load, and adds one when there is none. The result is named as ko names it:
 * by the registry, else by the ko.local daemon, else (not pushing) by a tarball.
 */
export function chooseTargets(settings: Settings, runtime: Runtime): ChosenTargets {
  const local = isLocalRepo(settings.repo);
  const registry =
    runtime.push && !local
      ? registryTarget({ tagOnly: settings.tagOnly, sbomAttachment: runtime.sbomAttachment })
      : undefined;
  const sinks = runtime.sinks.map((sink) => {
    if (sink.type === 'layout') return layoutTarget(resolve(settings.dir, sink.path));
    if (sink.type === 'tarball') return tarballTarget(resolve(settings.dir, sink.path));
    return daemonTarget(sink.socket, settings.env, local);
  });
  if (local && !sinks.some((t) => t.kind === 'daemon')) sinks.push(daemonTarget(undefined, settings.env, true));
  const targets = registry ? [registry, ...sinks] : sinks;
  const naming =
    registry ??
    (local ? sinks.find((t) => t.kind === 'daemon') : undefined) ??
    (runtime.push ? undefined : sinks.find((t) => t.kind === 'tarball'));
  return { targets, registry, naming };
}
