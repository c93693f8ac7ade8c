/**
 * Cases ported from ko's pkg/caps/caps_test.go, caps_dd_test.go, new_file_caps_test.go, and
 * from pkg/build/gobuild_test.go's TestMatchesPlatformSpec, TestGoarm and TestBuildEnv.
 *
 * Not ported: TestBuildEnvRejectsToolexecInGOFLAGS is covered, more broadly, by
 * build-programs.test.ts (tsko refuses every program-running flag, not only -toolexec).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTskoError } from '@tsko/registry';
import { capabilityMask, capabilityXattr, parseCapabilities } from '../../src/go/capabilities.js';
import { parsePlatformList, specMatches } from '../../src/config/platform-spec.js';
import { goBuildEnv, platformEnv } from '../../src/go/build-binary.js';

const ALL_KNOWN = (1n << 41n) - 1n;

describe('ko pkg/caps/caps_test.go: TestParse', () => {
  for (const [arg, mask] of [
    ['chown', 1n],
    ['cap_chown', 1n],
    ['cAp_cHoWn', 1n],
    ['63', 1n << 63n],
    ['all', ALL_KNOWN],
  ] as const) {
    it(`${arg} is ${mask.toString(16)}`, () => assert.equal(capabilityMask(arg, 'w'), mask));
  }
  for (const arg of ['unknown', '64']) {
    it(`${arg} is refused`, () =>
      assert.throws(
        () => capabilityMask(arg, 'f: builds[0].linux_capabilities[0]'),
        (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && e.message.includes('linux_capabilities[0]'),
      ));
  }
});

describe('ko pkg/caps/caps_dd_test.go: TestDd (xattr bytes, base64)', () => {
  // [permitted, inheritable, effective, expected] — the xattr ko writes, compared byte for byte.
  const cases: [string, string, boolean, string][] = [
    ['chown', '', false, 'AAAAAgEAAAAAAAAAAAAAAAAAAAA='],
    ['chown', '', true, 'AQAAAgEAAAAAAAAAAAAAAAAAAAA='],
    ['', 'chown', false, 'AAAAAgAAAAABAAAAAAAAAAAAAAA='],
    ['chown', 'chown', true, 'AQAAAgEAAAABAAAAAAAAAAAAAAA='],
    ['setuid', 'setuid', true, 'AQAAAoAAAACAAAAAAAAAAAAAAAA='],
    ['net_bind_service', 'net_bind_service', true, 'AQAAAgAEAAAABAAAAAAAAAAAAAA='],
    ['sys_admin', 'sys_admin', true, 'AQAAAgAAIAAAACAAAAAAAAAAAAA='],
    ['setfcap', 'setfcap', true, 'AQAAAgAAAIAAAACAAAAAAAAAAAA='],
    ['mac_override', 'mac_override', true, 'AQAAAgAAAAAAAAAAAQAAAAEAAAA='],
    ['bpf', 'bpf', true, 'AQAAAgAAAAAAAAAAgAAAAIAAAAA='],
    ['checkpoint_restore', 'checkpoint_restore', true, 'AQAAAgAAAAAAAAAAAAEAAAABAAA='],
  ];
  for (const [p, i, e, want] of cases) {
    it(`${p || '-'},${i || '-'},${e}`, () => {
      const flags = `${p ? 'p' : ''}${i ? 'i' : ''}${e ? 'e' : ''}`;
      const terms = [`${p || i}=${flags}`];
      assert.equal(Buffer.from(capabilityXattr(terms, 'w')!).toString('base64'), want);
    });
  }
});

describe('ko pkg/caps/new_file_caps_test.go: TestNewFileCaps', () => {
  const sets = (terms: string[]) => {
    const { permitted, inheritable, effective } = parseCapabilities(terms, 'w');
    return permitted === 0n && inheritable === 0n ? undefined : { permitted, inheritable, effective: effective !== 0n };
  };
  const cases: [string[], { permitted: bigint; inheritable: bigint; effective: boolean } | undefined][] = [
    [[], undefined],
    [['chown', 'dac_override', 'dac_read_search'], { permitted: 7n, inheritable: 0n, effective: false }],
    [['chown,dac_override,dac_read_search=p'], { permitted: 7n, inheritable: 0n, effective: false }],
    [['chown,dac_override,dac_read_search=i'], { permitted: 0n, inheritable: 7n, effective: false }],
    [['chown,dac_override,dac_read_search=e'], undefined],
    [['chown,dac_override,dac_read_search=pe'], { permitted: 7n, inheritable: 0n, effective: true }],
    [['=pe'], { permitted: ALL_KNOWN, inheritable: 0n, effective: true }],
    [['chown=ie', 'chown=p'], { permitted: 1n, inheritable: 0n, effective: false }],
    [['chown=ie', 'chown='], undefined],
    [['chown=ie', 'chown+p'], { permitted: 1n, inheritable: 1n, effective: true }],
    [['chown=pie', 'dac_override,chown-p'], { permitted: 0n, inheritable: 1n, effective: true }],
    [['='], undefined],
  ];
  for (const [terms, want] of cases) it(terms.join(':') || '(none)', () => assert.deepEqual(sets(terms), want));
  for (const terms of [['chown,=pie'], ['-pie'], ['+pie'], ['chown=px']]) {
    it(`${terms.join(':')} is refused`, () =>
      assert.throws(
        () => parseCapabilities(terms, 'w'),
        (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID'),
      ));
  }
  it('grants nothing, so writes no xattr, when only effective bits are named', () => {
    assert.equal(capabilityXattr(['chown=e'], 'w'), undefined);
  });
});

describe('ko pkg/build/gobuild_test.go: TestMatchesPlatformSpec', () => {
  const matches = (
    platform: { os: string; architecture: string; variant?: string; 'os.version'?: string },
    spec: string[],
  ) => {
    const list = parsePlatformList(spec, 'w');
    return list === 'all' ? true : list.some((s) => specMatches(s, platform));
  };
  it('all matches any platform', () => assert.equal(matches({ os: 'linux', architecture: 'amd64' }, ['all']), true));
  it('linux does not match windows/amd64', () =>
    assert.equal(matches({ os: 'windows', architecture: 'amd64' }, ['linux']), false));
  it('linux matches linux/arm64 (an OS-only spec)', () =>
    assert.equal(matches({ os: 'linux', architecture: 'arm64' }, ['linux']), true));
  it('linux/arm64 matches linux/arm64/v3', () =>
    assert.equal(matches({ os: 'linux', architecture: 'arm64', variant: 'v3' }, ['linux/amd64', 'linux/arm64']), true));
  it('linux/arm64/v4 does not match linux/arm64/v3', () =>
    assert.equal(
      matches({ os: 'linux', architecture: 'arm64', variant: 'v3' }, ['linux/amd64', 'linux/arm64/v4']),
      false,
    ));
  it('linux/arm64/v3/z5 is not a platform', () =>
    assert.throws(
      () => parsePlatformList(['linux/amd64', 'linux/arm64/v3/z5'], 'w'),
      (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID'),
    ));
  const win = (v: string) => ({ os: 'windows', architecture: 'amd64', 'os.version': v });
  it('exact windows osversion', () =>
    assert.equal(matches(win('10.0.17763.1234'), ['windows/amd64:10.0.17763.1234']), true));
  it('windows X.Y.Z matches X.Y.Z.B', () =>
    assert.equal(matches(win('10.0.17763.1234'), ['windows/amd64:10.0.17763']), true));
  it('not windows: osversion must be exact', () =>
    assert.equal(
      matches({ os: 'linux', architecture: 'amd64', 'os.version': '10.0.17763.1234' }, ['linux/amd64:10.0.17763']),
      false,
    ));
  it('windows 10 does not match X.Y.Z.B', () =>
    assert.equal(matches(win('10.0.17763.1234'), ['windows/amd64:10']), false));
  it('a more specific requirement does not match', () =>
    assert.equal(matches(win('10.0.17763'), ['windows/amd64:10.0.17763.1234']), false));
  it('a less specific base does not match', () =>
    assert.equal(matches(win('10.0.17763.1234.5678'), ['windows/amd64:10.0.17763.1234']), false));
  it('all cannot be combined with platforms (ko validate.go)', () =>
    assert.throws(() => parsePlatformList(['all', 'linux/amd64'], 'w'), /either "all"/));
});

describe('ko pkg/build/gobuild_test.go: TestGoarm and TestBuildEnv', () => {
  const goarm = (variant: string) =>
    platformEnv({ os: 'linux', architecture: 'arm', variant }).find((e) => e.startsWith('GOARM='));
  it('v5 and v7 give GOARM 5 and 7; v8 and above build for 7', () => {
    assert.equal(goarm('v5'), 'GOARM=5');
    assert.equal(goarm('v7'), 'GOARM=7');
    assert.equal(goarm('v8'), 'GOARM=7');
  });
  it('arm64 variants set no GOARM; a variant below v5 sets none', () => {
    assert.equal(
      platformEnv({ os: 'linux', architecture: 'arm64', variant: 'v8' }).find((e) => e.startsWith('GOARM')),
      undefined,
    );
    assert.equal(goarm('v3'), undefined);
  });
  it('vnot-a-number and wrong-prefix are refused', () => {
    for (const v of ['vnot-a-number', 'wrong-prefix'])
      assert.throws(
        () => platformEnv({ os: 'linux', architecture: 'arm', variant: v }),
        (e: unknown) => isTskoError(e, 'TSKO_INVALID_ARGUMENT'),
      );
  });
  const amd64 = { os: 'linux', architecture: 'amd64' };
  it('defaults: GOOS, GOARCH and CGO_ENABLED=0', () => {
    const env = goBuildEnv(amd64, {}, []);
    assert.deepEqual([env.GOOS, env.GOARCH, env.CGO_ENABLED], ['linux', 'amd64', '0']);
  });
  it("the caller's CGO_ENABLED=1 is respected, and a build env value overrides the caller's", () => {
    assert.equal(goBuildEnv(amd64, { CGO_ENABLED: '1' }, []).CGO_ENABLED, '1');
    assert.equal(goBuildEnv(amd64, { CGO_ENABLED: '0' }, ['CGO_ENABLED=1']).CGO_ENABLED, '1');
  });
  it('override an envvar and add an envvar', () => {
    const env = goBuildEnv(amd64, { CGO_ENABLED: '0' }, [
      'CGO_ENABLED=1',
      'GOPRIVATE=git.internal.example.com,source.developers.google.com',
    ]);
    assert.deepEqual([env.CGO_ENABLED, env.GOPRIVATE], ['1', 'git.internal.example.com,source.developers.google.com']);
  });
  it('arm and amd64 variants', () => {
    assert.equal(goBuildEnv({ os: 'linux', architecture: 'arm', variant: 'v7' }, {}, []).GOARM, '7');
    assert.equal(goBuildEnv({ os: 'linux', architecture: 'amd64', variant: 'v3' }, {}, []).GOAMD64, 'v3');
  });
  it("GOOS/GOARCH always name the platform being built, not the caller's", () => {
    const env = goBuildEnv({ os: 'linux', architecture: 'arm64' }, { GOOS: 'darwin', GOARCH: 'amd64' }, []);
    assert.deepEqual([env.GOOS, env.GOARCH], ['linux', 'arm64']);
  });
});
