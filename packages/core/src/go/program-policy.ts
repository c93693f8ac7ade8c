import { TskoError } from '@tsko/registry';

/**
 * Which build settings would make `go build` run a program other than the Go toolchain, or
 * read/write outside the build. A repository's `.ko.yaml` arrives with a clone (a pull
 * request, a vendored checkout), so tsko treats it as data: it may choose tags, `-X` values,
 * GOOS-like variables and `CGO_ENABLED`, but it cannot name a program. The same rule holds
 * for the caller's own `env` / `flags` / `ldflags`, so that a setting means the same thing
 * wherever it is written; only the caller can lift it, with `allowBuildPrograms: true`.
 *
 * The list is a deny list of mechanisms, each one a way to exec something:
 * - go flags (in `flags`, or in a `GOFLAGS` value): `-toolexec` and `-exec` run a program per
 *   tool call; `-overlay` swaps source files for any host file (which `go:embed` then ships);
 *   `-compiler` picks gccgo; `-ldflags` external-linker options (below).
 * - linker flags: `-extld`, `-extar` name programs, `-extldflags` passes flags (`-B`,
 *   `-fplugin`) to the external linker.
 * - environment: compilers and helpers (`CC`, `CXX`, `FC`, `AR`, `GCCGO`, `PKG_CONFIG`),
 *   Go's own hooks (`GOTOOLCHAIN` other than `local`, `GOROOT`, `GOENV`, `GOCACHEPROG`,
 *   `GOAUTH`), the `CGO_*FLAGS*` family (compiler flags from the environment bypass Go's
 *   `#cgo` allow-list), and what picks programs or their config: `PATH`, `HOME`,
 *   `XDG_CONFIG_HOME`, `LD_*`, `DYLD_*`, `GIT_*` (`go build` runs git for VCS stamping).
 * `CGO_ENABLED=1` alone is allowed: it runs the host's C compiler with the flags the Go
 * command itself vets (Go's own security boundary for building untrusted modules).
 *
 * The caller's own environment (`environment`, else process.env) is not checked: the caller
 * is trusted, and ko passes its environment to `go build` too, so an ambient
 * `CGO_ENABLED=1`, `GOARM` or `CC` works as it does with ko. Only values written as build
 * settings (code options and `.ko.yaml`) go through these checks.
 */
export interface ProgramSetting {
  /** Where the value came from, e.g. `/repo/.ko.yaml: defaultEnv[0]` or `options.flags[1]`. */
  where: string;
  /** Field path for `details.field`, e.g. `defaultEnv[0]`. */
  field: string;
  /** The file it came from, if any. */
  file?: string;
}

const PROGRAM_FLAGS = new Set(['toolexec', 'exec', 'overlay', 'compiler', 'gccgoflags']);
/** `-o` is ours: the output path is how tsko finds the binary; elsewhere it writes anywhere. */
const OWNED_FLAGS = new Set(['o']);
const PROGRAM_LDFLAGS = new Set(['extld', 'extar', 'extldflags']);
const PROGRAM_ENV = new Set([
  'CC',
  'CXX',
  'FC',
  'AR',
  'GCCGO',
  'PKG_CONFIG',
  'GOROOT',
  'GOENV',
  'GOCACHEPROG',
  'GOAUTH',
  'PATH',
  'HOME',
  'XDG_CONFIG_HOME',
]);
const PROGRAM_ENV_PREFIXES = ['LD_', 'DYLD_', 'GIT_'];

function flagName(arg: string): string | undefined {
  const m = /^--?([A-Za-z][\w-]*)(?:=|$)/.exec(arg);
  return m?.[1];
}

function refuse(source: ProgramSetting, value: string, why: string): TskoError {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return new TskoError(
    'TSKO_BUILD_PROGRAM_REFUSED',
    `${source.where}: "${shown}" ${why}. tsko runs only the Go toolchain unless the caller passes allowBuildPrograms: true (see "Trust model" in the README).`,
    { details: { field: source.field, setting: shown, ...(source.file ? { file: source.file } : {}) } },
  );
}

/** Splits a GOFLAGS value as the go command does: space-separated, no quoting. */
function goflagsWords(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

function checkLdflagWords(words: readonly string[], source: ProgramSetting, shown: string): void {
  for (const word of words) {
    const name = flagName(word);
    if (name && PROGRAM_LDFLAGS.has(name))
      throw refuse(source, shown, `passes -${name} to the linker, which runs or configures an external program`);
  }
}

/** Go flags that would run a program (or that tsko owns), in any spelling (`-x`, `--x`, `-x=v`). */
export function checkGoFlags(
  flags: readonly string[],
  source: (i: number) => ProgramSetting,
  allowPrograms: boolean,
): void {
  flags.forEach((flag, i) => {
    const name = flagName(flag);
    if (!name) return;
    if (OWNED_FLAGS.has(name)) {
      throw new TskoError(
        'TSKO_INVALID_ARGUMENT',
        `${source(i).where}: the go build flag "${flag}" is not allowed: tsko chooses the output path.`,
        { details: { field: source(i).field, flag } },
      );
    }
    if (allowPrograms) return;
    if (PROGRAM_FLAGS.has(name))
      throw refuse(source(i), flag, `would make go run or read a program or file outside the build (-${name})`);
    if (name === 'ldflags') {
      // `-ldflags=VALUE`, or `-ldflags VALUE` with the value as the next argument.
      const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : (flags[i + 1] ?? '');
      checkLdflagWords(value.split(/\s+/), source(i), flag.includes('=') ? flag : `${flag} ${value}`);
    }
  });
}

/** Linker flags (one word each, as `ldflags` lists them; a word may hold several). */
export function checkLdflags(
  ldflags: readonly string[],
  source: (i: number) => ProgramSetting,
  allowPrograms: boolean,
): void {
  if (allowPrograms) return;
  for (const [i, entry] of ldflags.entries()) checkLdflagWords(entry.split(/\s+/), source(i), entry);
}

/** `KEY=value` entries: program-valued keys, and the go flags inside `GOFLAGS`. */
export function checkBuildEnv(
  entries: readonly string[],
  source: (i: number) => ProgramSetting,
  allowPrograms: boolean,
): void {
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq) : entry;
    const value = eq > 0 ? entry.slice(eq + 1) : '';
    if (key === 'GOFLAGS') {
      checkGoFlags(goflagsWords(value), () => source(i), allowPrograms);
      return;
    }
    if (allowPrograms) return;
    if (key === 'GOTOOLCHAIN' && value !== 'local')
      throw refuse(source(i), entry, 'lets go switch to (and download) another toolchain program');
    if (key.startsWith('CGO_') && key !== 'CGO_ENABLED')
      throw refuse(
        source(i),
        entry,
        "hands compiler or linker flags to the C toolchain, outside the go command's #cgo allow-list",
      );
    if (PROGRAM_ENV.has(key) || PROGRAM_ENV_PREFIXES.some((p) => key.startsWith(p)))
      throw refuse(source(i), entry, `sets ${key}, which chooses a program (or its configuration) that the build runs`);
  });
}

/**
 * The refusals of one build request's own settings (`flags`, `env`, `ldflags`, each named by
 * its field and index), lifted only by `allowBuildPrograms`. Every path that runs or answers a
 * build (alone, batched, or from a record) asks this first, so a setting refused in one is
 * refused in all.
 */
export function checkBuildSettings(request: {
  flags?: readonly string[] | undefined;
  env?: readonly string[] | undefined;
  ldflags?: readonly string[] | undefined;
  allowBuildPrograms?: boolean | undefined;
}): void {
  const allow = request.allowBuildPrograms ?? false;
  const source = (field: string) => (i: number) => ({ where: `${field}[${i}]`, field: `${field}[${i}]` });
  checkGoFlags([...(request.flags ?? [])], source('flags'), allow);
  checkBuildEnv([...(request.env ?? [])], source('env'), allow);
  checkLdflags([...(request.ldflags ?? [])], source('ldflags'), allow);
}
