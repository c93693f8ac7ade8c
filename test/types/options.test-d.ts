// Type tests, compiled by `pnpm typecheck` (tsconfig.test.json) and never run: each
// `@ts-expect-error` line must be a compile error, or tsc fails with "Unused '@ts-expect-error'
// directive". They read the packages as a consumer does, through the built `.d.ts` files.
import {
  createPublisher,
  publish,
  publishOptions,
  type BuildPlan,
  type ExecutionOptions,
  type PublishOptions,
  type Publisher,
} from '@tsko/core';
import type { PushOptions } from '@tsko/registry';
import { resolveManifests, type ResolveOptions } from '@tsko/resolve';

declare function options(o: PublishOptions): void;
declare function plan(o: BuildPlan): void;
declare function execution(o: ExecutionOptions): void;
declare function resolveOptions(o: ResolveOptions): void;
declare function pushOptions(o: PushOptions): void;

// Right names and types compile.
options({
  repo: 'registry.example.com/team',
  platforms: ['linux/amd64', 'linux/arm64'],
  tags: ['v1'],
  naming: 'bare',
  push: false,
  sinks: [{ type: 'layout', path: 'out' }, { type: 'tarball', path: 'a.tar' }, { type: 'daemon' }],
  cacheDir: false,
  concurrency: 2,
  onEvent: (e) => void e.type,
  signal: AbortSignal.timeout(1000),
});
options({ platforms: 'all', ca: ['-----BEGIN CERTIFICATE-----'], credentials: () => undefined });
options(publishOptions({ repo: 'r', baseImage: 'scratch' }, { push: false, pushConcurrency: 8 }));
resolveOptions({ selector: 'app=web', recursive: true, repo: 'r', build: async (ref) => ref });

// Misspelt option names.
// @ts-expect-error platfroms is not an option
options({ platfroms: ['linux/amd64'] });
// @ts-expect-error tag is not an option (tags is)
options({ tag: ['v1'] });
// @ts-expect-error baseimage is not an option (baseImage is)
options({ baseimage: 'scratch' });
// @ts-expect-error insecureRegistry is not an option (insecureRegistries is)
options({ insecureRegistry: ['r:5000'] });
// @ts-expect-error selecter is not an option (selector is)
resolveOptions({ selecter: 'app=web' });
// @ts-expect-error the same through publish()
void publish('./cmd/app', { repos: 'r' });
// @ts-expect-error the same through createPublisher()
void createPublisher({ conccurency: 2 });
// @ts-expect-error the same through resolveManifests()
void resolveManifests('', { recursiv: true });

// The plan holds what to build; execution holds where it goes and how it runs.
// @ts-expect-error push is execution, not plan
plan({ push: false });
// @ts-expect-error sinks are execution, not plan
plan({ sinks: [] });
// @ts-expect-error repo is plan, not execution
execution({ repo: 'r' });
// @ts-expect-error platforms are plan, not execution
execution({ platforms: ['linux/amd64'] });

// Wrong value types.
// @ts-expect-error platforms is 'all' or a list, not one string
options({ platforms: 'linux/amd64' });
// @ts-expect-error tags is a list
options({ tags: 'v1' });
// @ts-expect-error naming is one of four strategies
options({ naming: 'flat' });
// @ts-expect-error sbom is 'spdx' or 'none'
options({ sbom: 'cyclonedx' });
// @ts-expect-error push is a boolean
options({ push: 'false' });
// @ts-expect-error cacheDir is a path or false, not true
options({ cacheDir: true });
options({ buildCache: { repo: 'registry.example.com/team/tsko-build-cache', write: false } });
// @ts-expect-error buildCache needs a repo
options({ buildCache: { write: true } });
// @ts-expect-error buildCache is an object, not a repository string
options({ buildCache: 'registry.example.com/team/cache' });
// @ts-expect-error concurrency is a number
options({ concurrency: '4' });
// @ts-expect-error an unknown sink type
options({ sinks: [{ type: 'oci', path: 'out' }] });
// @ts-expect-error a layout sink needs a path
options({ sinks: [{ type: 'layout' }] });
// @ts-expect-error a daemon sink has a socket, not a path
options({ sinks: [{ type: 'daemon', path: '/run/docker.sock' }] });
// @ts-expect-error onEvent receives event objects, not strings
options({ onEvent: (e: string) => void e });
// @ts-expect-error signal is an AbortSignal
options({ signal: new AbortController() });
// @ts-expect-error env is a list of KEY=value strings, not an object
options({ env: { CGO_ENABLED: '1' } });
// @ts-expect-error labels are strings
options({ labels: { tier: 1 } });
// @ts-expect-error recursive is a boolean
resolveOptions({ recursive: 'yes' });

// A publisher closes with close() and with `await using`.
declare const publisher: Publisher;
void publisher.close();
void publisher[Symbol.asyncDispose]();
const disposable: AsyncDisposable = publisher;
void disposable;
// @ts-expect-error there is no dispose() method, only close()
void publisher.dispose();

// pushImage's `headed`: what a HEAD found under a name, a digest or undefined (absent).
pushOptions({ headed: new Map([['v1', undefined]]) });
pushOptions({ headed: new Map([['v1', 'sha256:0000000000000000000000000000000000000000000000000000000000000000']]) });
// @ts-expect-error headed maps names to digests, not to booleans
pushOptions({ headed: new Map([['v1', true]]) });
// @ts-expect-error headed is a Map, not a plain object
pushOptions({ headed: { v1: undefined } });
