import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import {
  build,
  buildGoBinary,
  expandTemplate,
  imageRepository,
  parseKoYaml,
  publish,
  readOciLayout,
  writeDockerArchive,
  writeOciLayout,
  type NamingStrategy,
  type PublishOptions,
} from '@tsko/core';
import { emptyImage } from '@tsko/registry';
import { goTestEnvironment, runOk, startRegistry, type TestRegistry } from '@tsko/test-rig';
import { badInputRows } from './table.js';

const FIXTURE = fileURLToPath(new URL('../../packages/core/test/fixtures/app', import.meta.url));
const bad = <T>(value: unknown) => value as T;

describe('bad input to @tsko/core gets a typed error that names it', () => {
  let work: string;
  let app: string;
  let registry: TestRegistry;
  const p = (...parts: string[]) => join(work, ...parts);
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsko-bad-core-'));
    app = p('app');
    await cp(FIXTURE, app, { recursive: true });
    await writeFile(p('a-file'), 'a file, not a folder\n');
    await mkdir(p('a-folder'));
    await writeFile(p('a-folder', 'keep.txt'), 'kept\n');
    await runOk('mkfifo', [p('fifo.yaml')]);
    await writeOciLayout(p('good-layout'), emptyImage({ os: 'linux', architecture: 'amd64' }), 'v1');
    await writeOciLayout(p('corrupt-layout'), emptyImage({ os: 'linux', architecture: 'amd64' }), 'v1');
    await writeFile(p('corrupt-layout', 'index.json'), '{"manifests": [');
    const configs: Record<string, string> = {
      'syntax.yaml': 'defaultEnv: [a, b\n',
      'unknown-key.yaml': 'defaultBaseImages: scratch\n',
      'wrong-type.yaml': 'defaultEnv: 3\n',
      'laughs.yaml': `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${'bcdefghi'
        .split('')
        .map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)
        .join('\n')}\n`,
      'unclosed.yaml': 'defaultLdflags: ["-X main.version={{.Env.VERSION"]\n',
      'action.yaml': 'defaultLdflags: ["-X main.version={{ printf \\"%s\\" .Env.V }}"]\n',
      'missing-key.yaml': 'defaultLdflags: ["-X main.version={{.Env.TSKO_NOPE}}"]\n',
      'no-main.yaml': 'builds:\n  - id: ghost\n    main: ./cmd/ghost\n',
      'toolexec.yaml': 'defaultEnv: ["GOFLAGS=-toolexec=/bin/true"]\n',
      'no-func.yaml': 'defaultLdflags: ["-X main.version={{ env \\"V\\" }}"]\n',
      'caps.yaml': 'builds:\n  - main: ./cmd/server\n    linux_capabilities: [cap_fly]\n',
      'platforms.yaml': 'defaultPlatforms: [linux/amd64/v1/extra]\n',
    };
    await cp(FIXTURE, p('bad-mod'), { recursive: true });
    await writeFile(p('bad-mod', 'go.mod'), 'module example.com/app\n\ngo 1.19\nbogus line\n');
    await cp(FIXTURE, p('bad-work', 'app'), { recursive: true });
    await writeFile(p('bad-work', 'go.work'), 'go 1.22\n\nuse ./app\nreplace (\n');
    await mkdir(p('configs'));
    for (const [name, text] of Object.entries(configs)) await writeFile(p('configs', name), text);
    registry = await startRegistry('plain');
  });
  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const opts = (extra: Record<string, unknown> = {}): PublishOptions => ({
    dir: app,
    baseImage: 'scratch',
    push: false,
    platforms: ['linux/amd64'],
    environment: goTestEnvironment(),
    ...extra,
  });
  const go = 60_000;
  const config = (name: string) => opts({ configPath: p('configs', name) });

  badInputRows([
    // Options that are not data.
    {
      name: 'concurrency: NaN',
      run: () => publish('./cmd/server', opts({ concurrency: NaN })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['options.concurrency', 'NaN'],
    },
    {
      name: 'concurrency: 0',
      run: () => publish('./cmd/server', opts({ concurrency: 0 })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.concurrency',
    },
    {
      name: 'pushConcurrency: 1.5',
      run: () => publish('./cmd/server', opts({ pushConcurrency: 1.5 })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['options.pushConcurrency', '1.5'],
    },
    {
      name: 'onEvent that is not a function',
      run: () => publish('./cmd/server', opts({ onEvent: 'log' })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.onEvent',
    },
    {
      name: 'signal that is not an AbortSignal',
      run: () => publish('./cmd/server', opts({ signal: {} })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.signal',
    },
    {
      name: 'options: null',
      run: () => publish('./cmd/server', bad(null)),
      code: 'TSKO_CONFIG_INVALID',
      names: 'null',
    },
    // A base image that cannot be fetched says it is the base image and how to choose another.
    {
      name: 'a base image that does not exist',
      run: () => publish('./cmd/server', opts({ baseImage: `${registry.host}/nope/base:v1` })),
      code: 'TSKO_NOT_FOUND',
      names: () => [
        `The base image ${registry.host}/nope/base:v1 could not be fetched`,
        'options.baseImage',
        'KO_DEFAULTBASEIMAGE',
        'defaultBaseImage in .ko.yaml',
      ],
      timeoutMs: go,
    },
    {
      name: 'KO_DEFAULTBASEIMAGE on a registry that is not there',
      run: () =>
        publish(
          './cmd/server',
          opts({
            baseImage: undefined,
            environment: goTestEnvironment({ KO_DEFAULTBASEIMAGE: '127.0.0.1:9/base:v1' }),
            retry: { attempts: 1 },
          }),
        ),
      code: 'TSKO_REGISTRY_UNAVAILABLE',
      names: ['The base image 127.0.0.1:9/base:v1 could not be fetched', 'KO_DEFAULTBASEIMAGE'],
      timeoutMs: go,
    },
    // A module file go cannot parse is not a "not main" problem.
    {
      name: 'go.mod with an unknown directive',
      run: () => publish('./cmd/server', opts({ dir: p('bad-mod') })),
      code: 'TSKO_GO_MODULE_INVALID',
      names: () => [
        `${p('bad-mod', 'go.mod')}:4: go cannot parse this go.mod (unknown directive: bogus)`,
        './cmd/server',
      ],
      timeoutMs: go,
    },
    {
      name: 'go.work with an unterminated block',
      run: () => publish('./app/cmd/server', opts({ dir: p('bad-work') })),
      code: 'TSKO_GO_MODULE_INVALID',
      names: () => [`${p('bad-work', 'go.work')}:`, 'go cannot parse this go.work', 'GOWORK=off'],
      timeoutMs: go,
    },
    {
      name: 'a misspelt option',
      run: () => publish('./cmd/server', opts({ repos: 'x' })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.repos is not an option; did you mean repo?',
    },
    {
      name: 'platfroms (a typo)',
      run: () => publish('./cmd/server', opts({ platfroms: ['linux/amd64'] })),
      code: 'TSKO_CONFIG_INVALID',
      names: [/^options\.platfroms is not an option; did you mean platforms\?$/],
    },
    {
      name: 'two unknown keys, one far from any option',
      run: () => publish('./cmd/server', opts({ basImage: 'x', zzzzzz: 1 })),
      code: 'TSKO_CONFIG_INVALID',
      names: [
        'options.basImage is not an option; did you mean baseImage?',
        'options.zzzzzz is not an option (known: ',
        'platforms',
        'onEvent',
      ],
    },
    {
      name: "platforms: 'linux/amd64' (a string)",
      run: () => publish('./cmd/server', opts({ platforms: 'linux/amd64' })),
      code: 'TSKO_CONFIG_INVALID',
      names: [
        "options.platforms must be 'all' or a list of platforms such as ['linux/amd64', 'linux/arm64/v8']; got the string 'linux/amd64' (wrap it in a list: ['linux/amd64']).",
      ],
    },
    {
      name: "tags: 'v1' (a string)",
      run: () => publish('./cmd/server', opts({ tags: 'v1' })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['options.tags must be a list of tags', "['v1']"],
    },
    {
      name: 'an unknown naming strategy',
      run: () => publish('./cmd/server', opts({ naming: 'weird' })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.naming',
    },
    {
      name: 'imageRepository with an unknown strategy',
      run: () => imageRepository('reg.example.com/team', 'example.com/app', bad<NamingStrategy>('weird')),
      code: 'TSKO_INVALID_ARGUMENT',
      names: '"weird"',
    },
    {
      name: 'platforms: ["linux/amd64/v1/extra"]',
      run: () => publish('./cmd/server', opts({ platforms: ['linux/amd64/v1/extra'] })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['options.platforms', '"linux/amd64/v1/extra"'],
    },
    {
      name: 'an empty tag',
      run: () => publish('./cmd/server', opts({ tags: [''] })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.tags',
    },
    // What ko refuses before building (publish/default.go, commands/resolver.go).
    {
      name: 'an upper-case KO_DOCKER_REPO path',
      run: () =>
        publish(
          './cmd/server',
          opts({ environment: goTestEnvironment({ KO_DOCKER_REPO: 'registry.example.com/Team' }) }),
        ),
      code: 'TSKO_INVALID_REFERENCE',
      names: ['KO_DOCKER_REPO', 'registry.example.com/Team', 'lowercase'],
    },
    {
      name: "tagOnly with 'latest' when pushing",
      run: () => publish('./cmd/server', opts({ push: true, repo: 'registry.example.com/team', tagOnly: true })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['tagOnly', 'latest'],
    },
    {
      name: "naming: 'bare' without a repo",
      run: () => publish('./cmd/server', opts({ naming: 'bare' })),
      code: 'TSKO_NO_REPO',
      names: 'bare',
    },
    {
      name: 'tagOnly with two tags',
      run: () => publish('./cmd/server', opts({ tags: ['a', 'b'], tagOnly: true })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['tagOnly', 'a, b'],
    },
    {
      name: 'a sink of an unknown type',
      run: () => publish('./cmd/server', opts({ sinks: [{ type: 's3', path: 'x' }] })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'options.sinks',
    },
    {
      name: 'SOURCE_DATE_EPOCH that is not a number',
      run: () => publish('./cmd/server', opts({ environment: goTestEnvironment({ SOURCE_DATE_EPOCH: 'yesterday' }) })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['SOURCE_DATE_EPOCH', 'yesterday'],
    },
    {
      name: 'KO_DEFAULTPLATFORMS=linux/',
      run: () =>
        publish(
          './cmd/server',
          opts({ platforms: undefined, environment: goTestEnvironment({ KO_DEFAULTPLATFORMS: 'linux/' }) }),
        ),
      code: 'TSKO_CONFIG_INVALID',
      names: 'KO_DEFAULTPLATFORMS',
    },
    {
      name: 'platforms together with GOARCH in the environment (ko refuses it too)',
      run: () => publish('./cmd/server', opts({ environment: goTestEnvironment({ GOARCH: 'arm64' }) })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['options.platforms', 'GOARCH'],
    },
    // Paths of the wrong kind.
    {
      name: 'a dir that does not exist',
      run: () => publish('./cmd/server', opts({ dir: p('no-such-dir') })),
      code: 'TSKO_PATH_INVALID',
      names: ['options.dir', 'no-such-dir'],
    },
    {
      name: 'a dir that is a file',
      run: () => publish('./cmd/server', opts({ dir: p('a-file') })),
      code: 'TSKO_PATH_INVALID',
      names: ['options.dir', 'a-file'],
      unchanged: () => [p('a-file')],
    },
    {
      name: 'a cacheDir that is a file',
      run: () => publish('./cmd/server', opts({ cacheDir: p('a-file') })),
      code: 'TSKO_PATH_INVALID',
      names: ['options.cacheDir', 'a-file'],
      unchanged: () => [p('a-file')],
    },
    {
      name: 'an sbomDir that is a file',
      run: () => publish('./cmd/server', opts({ sbomDir: p('a-file') })),
      code: 'TSKO_PATH_INVALID',
      names: ['options.sbomDir', 'a-file'],
      unchanged: () => [p('a-file')],
      timeoutMs: go,
    },
    {
      name: 'a layout path that is a file',
      run: () => publish('./cmd/server', opts({ sinks: [{ type: 'layout', path: p('a-file') }] })),
      code: 'TSKO_PATH_INVALID',
      names: 'a-file',
      unchanged: () => [p('a-file')],
      timeoutMs: go,
    },
    {
      name: 'a tarball path that is a folder',
      run: () => publish('./cmd/server', opts({ sinks: [{ type: 'tarball', path: p('a-folder') }] })),
      code: 'TSKO_PATH_INVALID',
      names: 'a-folder',
      unchanged: () => [p('a-folder')],
      timeoutMs: go,
    },
    {
      name: 'a layout whose index.json is corrupt',
      run: () => publish('./cmd/server', opts({ sinks: [{ type: 'layout', path: p('corrupt-layout') }] })),
      code: 'TSKO_LAYOUT_INVALID',
      names: () => join(p('corrupt-layout'), 'index.json'),
      unchanged: () => [p('corrupt-layout')],
      timeoutMs: go,
    },
    {
      name: 'writeOciLayout into a file',
      run: () => writeOciLayout(p('a-file'), emptyImage({ os: 'linux', architecture: 'amd64' }), 'v1'),
      code: 'TSKO_PATH_INVALID',
      names: 'a-file',
      unchanged: () => [p('a-file')],
    },
    {
      name: 'writeDockerArchive onto a folder',
      run: () => writeDockerArchive(p('a-folder'), []),
      code: 'TSKO_PATH_INVALID',
      names: 'a-folder',
      unchanged: () => [p('a-folder')],
    },
    {
      name: 'writeDockerArchive under a file',
      run: () => writeDockerArchive(p('a-file', 'x.tar'), []),
      code: 'TSKO_PATH_INVALID',
      names: 'a-file',
      unchanged: () => [p('a-file')],
    },
    {
      name: 'readOciLayout of a folder that is no layout',
      run: () => readOciLayout(p('a-folder')),
      code: 'TSKO_NOT_FOUND',
      names: 'a-folder',
    },
    {
      name: 'readOciLayout of a missing entry',
      run: () => readOciLayout(p('good-layout'), 'v2'),
      code: 'TSKO_NOT_FOUND',
      names: ['"v2"', 'v1'],
    },
    // .ko.yaml.
    {
      name: 'a configPath that does not exist',
      run: () => publish('./cmd/server', opts({ configPath: p('configs', 'absent.yaml') })),
      code: 'TSKO_CONFIG_INVALID',
      names: 'absent.yaml',
    },
    {
      name: '.ko.yaml with a syntax error',
      run: () => publish('./cmd/server', config('syntax.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: /syntax\.yaml:\d/,
    },
    {
      name: '.ko.yaml with an unknown key under strictConfig',
      run: () => publish('./cmd/server', { ...config('unknown-key.yaml'), strictConfig: true }),
      code: 'TSKO_CONFIG_INVALID',
      names: ['unknown-key.yaml', 'defaultBaseImages'],
    },
    {
      name: '.ko.yaml with a wrong type',
      run: () => publish('./cmd/server', config('wrong-type.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['wrong-type.yaml', 'defaultEnv'],
    },
    {
      name: 'a billion-laughs .ko.yaml',
      run: () => publish('./cmd/server', config('laughs.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['laughs.yaml', /alias/i],
    },
    {
      name: 'a FIFO as the ko config',
      run: () => publish('./cmd/server', opts({ configPath: p('fifo.yaml') })),
      code: 'TSKO_CONFIG_INVALID',
      names: ['fifo.yaml', 'regular file'],
      timeoutMs: 5_000,
    },
    {
      name: 'an unclosed template action',
      run: () => publish('./cmd/server', config('unclosed.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['unclosed.yaml', 'defaultLdflags[0]', '{{.Env.VERSION'],
      timeoutMs: go,
    },
    {
      name: 'a template function over a missing key',
      run: () => publish('./cmd/server', config('action.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['action.yaml', 'printf', '"V"'],
      timeoutMs: go,
    },
    {
      name: 'a template calling a function Go does not have',
      run: () => publish('./cmd/server', config('no-func.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['no-func.yaml', 'defaultLdflags[0]', '"env"'],
      timeoutMs: go,
    },
    {
      name: 'linux_capabilities naming no capability',
      run: () => publish('./cmd/server', config('caps.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['caps.yaml', 'builds[0].linux_capabilities[0]', 'cap_fly'],
      timeoutMs: go,
    },
    {
      name: 'a template key that does not exist',
      run: () => publish('./cmd/server', config('missing-key.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['missing-key.yaml', '.Env.TSKO_NOPE'],
      timeoutMs: go,
    },
    {
      name: 'builds[].main that does not exist',
      run: () => publish('./cmd/server', config('no-main.yaml')),
      code: 'TSKO_CONFIG_INVALID',
      names: ['no-main.yaml', 'builds[0]', 'cmd/ghost'],
      timeoutMs: go,
    },
    {
      name: 'GOFLAGS=-toolexec in .ko.yaml',
      run: () => publish('./cmd/server', config('toolexec.yaml')),
      code: 'TSKO_BUILD_PROGRAM_REFUSED',
      names: ['toolexec.yaml', 'defaultEnv[0]'],
      timeoutMs: go,
    },
    {
      name: 'defaultPlatforms: [linux] in .ko.yaml',
      run: () => publish('./cmd/server', { ...config('platforms.yaml'), platforms: undefined }),
      code: 'TSKO_CONFIG_INVALID',
      names: ['platforms.yaml', 'defaultPlatforms'],
    },
    {
      name: 'parseKoYaml of broken text',
      run: () => parseKoYaml('defaultEnv: [', 'team/.ko.yaml'),
      code: 'TSKO_CONFIG_INVALID',
      names: 'team/.ko.yaml',
    },
    {
      name: 'expandTemplate of an unclosed action',
      run: () => expandTemplate('v={{.Git.Tag', {}, 'builds[0].ldflags[0]'),
      code: 'TSKO_CONFIG_INVALID',
      names: ['builds[0].ldflags[0]', '{{.Git.Tag'],
    },
    // Import paths and builds (the real go command).
    {
      name: 'an import path that starts with -',
      run: () => publish('-toolexec', opts()),
      code: 'TSKO_INVALID_IMPORT_PATH',
      names: '-toolexec',
    },
    {
      name: 'an import path with white space',
      run: () => publish('./cmd/ser ver', opts()),
      code: 'TSKO_INVALID_IMPORT_PATH',
      names: './cmd/ser ver',
    },
    {
      name: 'an import path pattern',
      run: () => publish('./cmd/...', opts()),
      code: 'TSKO_INVALID_IMPORT_PATH',
      names: './cmd/...',
    },
    {
      name: 'a package that is not main',
      run: () => publish('./lib', opts()),
      code: 'TSKO_NOT_MAIN',
      names: 'example.com/app/lib',
      timeoutMs: go,
    },
    {
      name: 'a package that does not compile',
      run: () => build('./cmd/broken', opts()),
      code: 'TSKO_BUILD_FAILED',
      names: ['example.com/app/cmd/broken', 'undefinedFunction'],
      timeoutMs: go,
    },
    {
      name: 'GOFLAGS=-toolexec in options.env',
      run: () => publish('./cmd/server', opts({ env: ['GOFLAGS=-toolexec=/bin/true'] })),
      code: 'TSKO_BUILD_PROGRAM_REFUSED',
      names: 'options.env[0]',
      timeoutMs: go,
    },
    {
      name: '-o in options.flags',
      run: () => publish('./cmd/server', opts({ flags: ['-o', '/tmp/x'] })),
      code: 'TSKO_INVALID_ARGUMENT',
      names: ['options.flags[0]', '-o'],
      timeoutMs: go,
    },
    {
      name: 'an env entry without =',
      run: () => publish('./cmd/server', opts({ env: ['JUSTAKEY'] })),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'JUSTAKEY',
      timeoutMs: go,
    },
    {
      name: 'an arm variant that is not v<number> (ko: strange arm variant)',
      run: () => publish('./cmd/server', opts({ platforms: ['linux/arm/x9'] })),
      code: 'TSKO_INVALID_ARGUMENT',
      names: 'linux/arm/x9',
      timeoutMs: go,
    },
    {
      name: 'platforms: all on scratch',
      run: () => publish('./cmd/server', opts({ platforms: 'all' })),
      code: 'TSKO_PLATFORM_NOT_FOUND',
      names: 'scratch',
      timeoutMs: go,
    },
    {
      name: 'a goBinary that does not exist',
      run: () => publish('./cmd/server', opts({ goBinary: '/nonexistent/go' })),
      code: 'TSKO_GO_NOT_FOUND',
      names: '/nonexistent/go',
    },
    {
      name: 'KO_GO_PATH that does not exist',
      run: () =>
        publish('./cmd/server', opts({ environment: goTestEnvironment({ KO_GO_PATH: '/nonexistent/go-1.99' }) })),
      code: 'TSKO_GO_NOT_FOUND',
      names: '/nonexistent/go-1.99',
    },
    {
      name: 'buildGoBinary in a folder that does not exist',
      run: () =>
        buildGoBinary({
          importPath: './cmd/server',
          dir: p('gone'),
          platform: { os: 'linux', architecture: 'amd64' },
          baseEnv: goTestEnvironment(),
        }),
      code: 'TSKO_PATH_INVALID',
      names: 'gone',
    },
    {
      name: 'a base layout that does not exist',
      run: () => publish('./cmd/server', opts({ baseImage: `oci-layout://${p('no-layout')}` })),
      code: 'TSKO_NOT_FOUND',
      names: 'no-layout',
      timeoutMs: go,
    },
    {
      name: 'a signal that has already fired',
      run: () => publish('./cmd/server', opts({ signal: AbortSignal.abort() })),
      code: 'TSKO_ABORTED',
      names: 'aborted',
      timeoutMs: go,
    },
    {
      name: 'push without a repository',
      run: () => publish('./cmd/server', opts({ push: true })),
      code: 'TSKO_NO_REPO',
      names: 'KO_DOCKER_REPO',
    },
    // Against the registry of the rig.
    {
      name: 'a base image the registry does not have (rig)',
      run: () => publish('./cmd/server', opts({ baseImage: `${registry.host}/bad-input/nope:v1` })),
      code: 'TSKO_NOT_FOUND',
      names: 'bad-input/nope',
      timeoutMs: go,
    },
    {
      name: 'a repo with upper-case letters (rig)',
      run: () => publish('./cmd/server', opts({ push: true, repo: `${registry.host}/Team` })),
      code: 'TSKO_INVALID_REFERENCE',
      names: 'Team',
      timeoutMs: go,
    },
  ]);
});
