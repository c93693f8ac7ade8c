import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Environment for Go builds in tests: one Go build cache shared by every test file (a cold
 * stdlib build costs ~10 s per architecture), no module proxy (none is reachable here), and
 * a HOME without docker credentials so the machine's own config never leaks into a test.
 */
export function goTestEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const root = join(tmpdir(), 'tsko-test-go');
  mkdirSync(root, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(root, 'home'),
    GOCACHE: join(root, 'cache'),
    GOPATH: join(root, 'gopath'),
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
    ...extra,
  };
}
