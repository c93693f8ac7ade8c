import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreEvent, PublishOptions } from '@tsko/core';
import type { RegistryEvent } from '@tsko/registry';
import { FIXTURE, testEnvironment } from './helpers.js';

/**
 * A `go` that logs each run's arguments to a file in `work` and then runs the real go, so a
 * test can tell which Go processes a publish started. `runs()` returns them and starts afresh.
 * `started(match, ms)` is true once a run whose arguments match has started (read from the
 * log as it grows), false if none has within `ms`: a test can hold something back until a
 * Go process started, and fail instead of hanging when it never does.
 */
export async function loggedGo(work: string): Promise<{
  wrapper: string;
  runs(): Promise<string[]>;
  started(match: (args: string) => boolean, ms: number): Promise<boolean>;
}> {
  const log = join(work, 'go.log');
  const wrapper = join(work, 'go');
  const go = execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim();
  await writeFile(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${go}' "$@"\n`);
  await chmod(wrapper, 0o755);
  return {
    wrapper,
    async runs() {
      const text = await readFile(log, 'utf8').catch(() => '');
      await writeFile(log, '');
      return text.split('\n').filter(Boolean);
    },
    async started(match, ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const text = await readFile(log, 'utf8').catch(() => '');
        if (text.split('\n').some((l) => l && match(l))) return true;
        await sleep(20);
      }
      return false;
    },
  };
}

/**
 * A fresh "machine" under `root` for the shared build cache's tests: the fixture project copied
 * afresh, its own tsko cache, and its own empty GOCACHE and GOMODCACHE unless `warm` (then the
 * rig's warm ones). GOPROXY=off: the fixture has no module dependencies.
 */
export async function fixtureMachine(m: {
  root: string;
  repo: string;
  cacheRepo: string;
  goBinary: string;
  warm?: boolean;
  env?: NodeJS.ProcessEnv;
}) {
  const { root } = m;
  for (const d of ['gocache', 'gomod', 'home']) await mkdir(join(root, d), { recursive: true });
  await cp(FIXTURE, join(root, 'project', 'app'), { recursive: true });
  const env = testEnvironment({
    GOPROXY: 'off',
    HOME: join(root, 'home'),
    ...(m.warm ? {} : { GOCACHE: join(root, 'gocache'), GOMODCACHE: join(root, 'gomod') }),
    ...m.env,
  });
  const events: (CoreEvent | RegistryEvent)[] = [];
  const options = (extra: PublishOptions = {}): PublishOptions => ({
    dir: join(root, 'project', 'app'),
    repo: m.repo,
    baseImage: 'scratch',
    platforms: ['linux/amd64'],
    cacheDir: join(root, 'tsko-cache'),
    goBinary: m.goBinary,
    environment: env,
    buildCache: { repo: m.cacheRepo },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { root, dir: join(root, 'project', 'app'), env, events, options };
}
