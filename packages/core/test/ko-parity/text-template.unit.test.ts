/**
 * Cases ported from Go's text/template tests (src/text/template/exec_test.go execTests and
 * cmpTests, parse/parse_test.go trimming cases) that apply to the data ko gives its templates:
 * maps of strings, numbers and booleans, executed with missingkey=error.
 *
 * Not ported: struct fields and methods, pointers, channels, iterators, complex and unsigned
 * numbers, hex floats, custom functions (`call`, FuncMap) and named templates
 * (`define`/`template`/`block`): ko's template data has none of these and ko registers no
 * functions. JavaScript numbers do not tell ints from floats, so Go's "incompatible types"
 * error for `eq 1 1.0` is not reproduced (both compare as numbers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTskoError } from '@tsko/registry';
import { expandTemplate } from '../../src/config/templates.js';

const run = (text: string, data: Record<string, unknown> = {}) => expandTemplate(text, data, 'test');
const fails = (text: string, pattern: RegExp, data: Record<string, unknown> = {}) =>
  assert.throws(
    () => run(text, data),
    (e: unknown) => isTskoError(e, 'TSKO_CONFIG_INVALID') && pattern.test(e.message),
    text,
  );

// The data of Go's tests that fits a map: tVal's S, AI and the counters used by the cases.
const tVal = {
  S: 'xyz',
  AI: [3, 4, 5],
  SI: [3, 4, 5],
  MSI: { one: 1, two: 2, three: 3 },
  Three: 3,
  Ufour: 4,
  Uthree: 3,
  NegOne: -1,
  True: true,
  Empty: '',
  EmptyList: [],
};

describe('Go text/template exec_test.go: execTests', () => {
  const cases: [string, string, string][] = [
    ['empty', '', ''],
    ['text', 'some text', 'some text'],
    ['simple assignment', '{{$x := 2}}{{$x = 3}}{{$x}}', '3'],
    ['nested assignment', '{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}', '3'],
    [
      'nested assignment changes the last declaration',
      '{{$x := 1}}{{if true}}{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{end}}{{$x}}',
      '1',
    ],
    ['$ is the data', '{{$.S}}', 'xyz'],
    ['map .one', '{{.MSI.one}}', '1'],
    ['parenthesized non-function with no args', '{{(1)}}', '1'],
    ['parens in pipeline', '{{printf `%d %d %d` (1) (2 | printf "%d") (len "abcd")}}', '1 %!d(string=2) 4'],
    ['if true', '{{if true}}TRUE{{end}}', 'TRUE'],
    ['if false', '{{if false}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
    ['if 1', '{{if 1}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['if 0', '{{if 0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['if 1.5', '{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['if emptystring', '{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
    ['if string', '{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY'],
    ['if empty slice', '{{if .AI}}NON-EMPTY{{end}}{{if .Empty}}x{{else}}EMPTY{{end}}', 'NON-EMPTY' + 'EMPTY'],
    ['if else if', '{{if false}}FALSE{{else if true}}TRUE{{end}}', 'TRUE'],
    ['if else chain', '{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}', '3'],
    ['print', '{{print "hello, print"}}', 'hello, print'],
    ['print 123', '{{print 1 2 3}}', '1 2 3'],
    ['print nil', '{{print nil}}', '<nil>'],
    ['println', '{{println 1 2 3}}', '1 2 3\n'],
    ['printf int', '{{printf "%04x" 127}}', '007f'],
    ['printf float', '{{printf "%g" 3.5}}', '3.5'],
    ['printf string', '{{printf "%s" "hello"}}', 'hello'],
    ['printf field', '{{printf "%s" .S}}', 'xyz'],
    ['printf dot', '{{with .S}}{{printf "%s" .}}{{end}}', 'xyz'],
    ['printf var', '{{with $x := "hello"}}{{printf "%s" $x}}{{end}}', 'hello'],
    ['printf lots', '{{printf "%d %s %g %s" 127 "hello" 7.5 .S}}', '127 hello 7.5 xyz'],
    ['html', '{{html "<script>alert(\\"XSS\\");</script>"}}', '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;'],
    [
      'html pipeline',
      '{{printf "<script>alert(\\"XSS\\");</script>" | html}}',
      '&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;',
    ],
    ['js', '{{js .S}}{{js "It\'d be nice."}}', "xyzIt\\'d be nice."],
    ['urlquery', '{{"http://www.example.org/"|urlquery}}', 'http%3A%2F%2Fwww.example.org%2F'],
    ['not', '{{not true}} {{not false}}', 'false true'],
    ['and', '{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}', 'false 0 0 1'],
    ['or', '{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}', '0 1 true 1'],
    ['or short-circuit', '{{or 0 1 (index nil 1)}}', '1'],
    ['and short-circuit', '{{and 1 0 (index nil 1)}}', '0'],
    ['and pipe-true', '{{1 | and 1}}', '1'],
    ['and pipe-false', '{{0 | and 1}}', '0'],
    ['or pipe-true', '{{1 | or 0}}', '1'],
    ['or pipe-false', '{{0 | or 0}}', '0'],
    ['boolean if', '{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}', 'TRUE'],
    ['boolean if not', '{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
    ['boolean if pipe', '{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
    ['slice[0]', '{{index .SI 0}}', '3'],
    ['slice[1]', '{{index .SI 1}}', '4'],
    ['map[one]', '{{index .MSI `one`}}', '1'],
    ['map[NO SUCH KEY] is the zero value', '{{index .MSI `XXX`}}', '<no value>'],
    ['string map[NO SUCH KEY] is the empty string', '<{{index .M `XXX`}}>', '<>'],
    ['array[:]', '{{slice .AI}}', '[3 4 5]'],
    ['array[1:]', '{{slice .AI 1}}', '[4 5]'],
    ['array[1:2]', '{{slice .AI 1 2}}', '[4]'],
    ['string[:]', '{{slice .S}}', 'xyz'],
    ['string[0:1]', '{{slice .S 0 1}}', 'x'],
    ['string[1:]', '{{slice .S 1}}', 'yz'],
    ['string[1:2]', '{{slice .S 1 2}}', 'y'],
    ['slice', '{{len .SI}}', '3'],
    ['map', '{{len .MSI }}', '3'],
    ['len of an int through a pipe', '{{.S | len}}', '3'],
    ['with true', '{{with true}}{{.}}{{end}}', 'true'],
    ['with false', '{{with false}}{{.}}{{else}}FALSE{{end}}', 'FALSE'],
    ['with 1', '{{with 1}}{{.}}{{else}}ZERO{{end}}', '1'],
    ['with 0', '{{with 0}}{{.}}{{else}}ZERO{{end}}', 'ZERO'],
    ['with 1.5', '{{with 1.5}}{{.}}{{else}}ZERO{{end}}', '1.5'],
    ['with emptystring', '{{with ``}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY'],
    ['with string', '{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}', 'notempty'],
    ['with $x int', '{{with $x := .MSI.one}}{{$x}}{{end}}', '1'],
    ['with else with', '{{with 0}}{{.}}{{else with true}}{{.}}{{end}}', 'true'],
    ['with else with chain', '{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}', 'notempty'],
    ['range []int', '{{range .SI}}-{{.}}-{{end}}', '-3--4--5-'],
    ['range empty no else', '{{range .EmptyList}}-{{.}}-{{end}}', ''],
    ['range []int else', '{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}', '-3--4--5-'],
    ['range empty else', '{{range .EmptyList}}-{{.}}-{{else}}EMPTY{{end}}', 'EMPTY'],
    ['range []int break else', '{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}', '-3-'],
    ['range []int continue else', '{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}', '-3--4--5-'],
    ['range map', '{{range .MSI}}-{{.}}-{{end}}', '-1--3--2-'],
    ['range $x SI', '{{range $x := .SI}}<{{$x}}>{{end}}', '<3><4><5>'],
    ['range $x $y SI', '{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}', '<0=3><1=4><2=5>'],
    ['range $x MSI', '{{range $x := .MSI}}<{{$x}}>{{end}}', '<1><3><2>'],
    ['range $x $y MSI', '{{range $x, $y := .MSI}}<{{$x}}={{$y}}>{{end}}', '<one=1><three=3><two=2>'],
    ['declare in range', '{{range $x := .SI}}<{{$foo := $x}}{{$x}}>{{end}}', '<3><4><5>'],
    ['range 5', '{{range $v := 5}}{{printf "%T%d" $v $v}}{{end}}', 'int0int1int2int3int4'],
    ['decimal', '{{print 1234}}', '1234'],
    ['decimal _', '{{print 12_34}}', '1234'],
    ['binary', '{{print 0b101}}', '5'],
    ['binary _', '{{print 0b_1_0_1}}', '5'],
    ['BINARY', '{{print 0B101}}', '5'],
    ['octal0', '{{print 0377}}', '255'],
    ['octal', '{{print 0o377}}', '255'],
    ['octal _', '{{print 0o_3_7_7}}', '255'],
    ['OCTAL', '{{print 0O377}}', '255'],
    ['hex', '{{print 0x123}}', '291'],
    ['hex _', '{{print 0x1_23}}', '291'],
    ['HEX', '{{print 0X123ABC}}', '1194684'],
    ['float', '{{print 123.4}}', '123.4'],
    ['float _', '{{print 0_0_1_2_3.4}}', '123.4'],
    ['character constant', "{{print 'a'}} {{printf \"%c\" 'a'}}", '97 a'],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.equal(run(text, { ...tVal, M: { a: 'b' } }), want));
  }

  const errors: [string, string, RegExp][] = [
    ['nil action', '{{nil}}', /nil is not a command/],
    ['if nil', '{{if nil}}TRUE{{end}}', /nil is not a command/],
    ['unparenthesized non-function', '{{1 2}}', /can't give argument to non-function 1/],
    ['parenthesized non-function', '{{(1) 2}}', /can't give argument to non-function 1/],
    ['or short-circuit2 reaches the failing argument', '{{or 0 0 (index nil 1)}}', /index of untyped nil/],
    ['and short-circuit2 reaches the failing argument', '{{and 1 1 (index nil 1)}}', /index of untyped nil/],
    ['nil[1]', '{{index nil 1}}', /index of untyped nil/],
    ['out of range slice', '{{slice .S 1 5}}', /index out of range/],
    ['3-index slice of string', '{{slice .S 1 2 2}}', /cannot 3-index slice a string/],
    ['slice[WRONG]', '{{index .SI `hello`}}', /cannot index slice\/array with type string/],
    ['slice[HUGE]', '{{index .SI 10}}', /index out of range: 10/],
    ['len of int', '{{len 3}}', /len of type int/],
    ['len of nothing', '{{len .Nothing}}', /map has no entry for key "Nothing"/],
    ['empty call', '{{call}}', /call/],
    ['missing map key under missingkey=error (TestMissingMapKey)', '{{.MSI.x}}', /map has no entry for key "x"/],
    ['field of a string', '{{.S.Len}}', /can't evaluate field Len in type string/],
    ['field with arguments', '{{.S 1}}', /S is not a method but has arguments/],
    ['range over a string', '{{range .S}}{{end}}', /range can't iterate over xyz/],
  ];
  for (const [name, text, pattern] of errors) {
    it(`fails: ${name}`, () => fails(text, pattern, { ...tVal }));
  }
});

describe('Go text/template exec_test.go: cmpTests', () => {
  const cases: [string, string][] = [
    ['eq true true', 'true'],
    ['eq true false', 'false'],
    ['eq 1.5 1.5', 'true'],
    ['eq 1.5 2.5', 'false'],
    ['eq 1 1', 'true'],
    ['eq 1 2', 'false'],
    ['eq `xy` `xy`', 'true'],
    ['eq `xy` `xyz`', 'false'],
    ['eq .Uthree .Uthree', 'true'],
    ['eq .Uthree .Ufour', 'false'],
    ['eq 3 4 5 6 3', 'true'],
    ['eq 3 4 5 6 7', 'false'],
    ['ne true true', 'false'],
    ['ne true false', 'true'],
    ['ne 1.5 1.5', 'false'],
    ['ne 1.5 2.5', 'true'],
    ['ne 1 1', 'false'],
    ['ne 1 2', 'true'],
    ['ne `xy` `xy`', 'false'],
    ['ne `xy` `xyz`', 'true'],
    ['lt 1.5 1.5', 'false'],
    ['lt 1.5 2.5', 'true'],
    ['lt 1 1', 'false'],
    ['lt 1 2', 'true'],
    ['lt `xy` `xy`', 'false'],
    ['lt `xy` `xyz`', 'true'],
    ['le 1.5 1.5', 'true'],
    ['le 2.5 1.5', 'false'],
    ['le `xyz` `xy`', 'false'],
    ['gt 2 1', 'true'],
    ['gt 1 2', 'false'],
    ['gt `xy` `xyz`', 'false'],
    ['ge 1 1', 'true'],
    ['ge 1 2', 'false'],
    ['ge `xyz` `xy`', 'true'],
    ['ge .Ufour .Uthree', 'true'],
    ['eq .NegOne .Uthree', 'false'],
    ['lt .NegOne .Uthree', 'true'],
    ["eq (index `x` 0) 'x'", 'true'],
    ["eq (index `x` 0) 'y'", 'false'],
  ];
  for (const [expr, want] of cases) it(expr, () => assert.equal(run(`{{${expr}}}`, tVal), want));

  const errors: [string, RegExp][] = [
    ['eq `xy` 1', /incompatible types for comparison/],
    ['lt true true', /invalid type for comparison/],
    ['eq .SI .SI', /invalid type for comparison/],
    ['eq .MSI .MSI', /invalid type for comparison/],
    ['eq 1', /missing argument for comparison/],
    ['lt 1', /wrong number of args for lt: want 2 got 1/],
  ];
  for (const [expr, pattern] of errors) it(`fails: ${expr}`, () => fails(`{{${expr}}}`, pattern, tVal));
});

describe('Go text/template parse_test.go: trim markers, comments and syntax errors', () => {
  const cases: [string, string, string][] = [
    ['trim left', 'x \r\n\t{{- 3}}', 'x3'],
    ['trim right', '{{3 -}}\n\n\ty', '3y'],
    ['trim left and right', 'x \r\n\t{{- 3 -}}\n\n\ty', 'x3y'],
    ['trim with extra spaces', 'x\n{{-  3   -}}\ny', 'x3y'],
    ['comment trim left', 'x \r\n\t{{- /* hi */}}', 'x'],
    ['comment trim right', '{{/* hi */ -}}\n\n\ty', 'y'],
    ['comment trim left and right', 'x \r\n\t{{- /* */ -}}\n\n\ty', 'xy'],
    ['a minus without a space is a number, not a trim marker', '{{-3}}', '-3'],
    ['string escapes', '{{"\\t\\x41\\u00e9\\\\"}}', '\tAé\\'],
    ['raw string keeps backslashes', '{{`a\\nb`}}', 'a\\nb'],
  ];
  for (const [name, text, want] of cases) it(name, () => assert.equal(run(text), want));

  const errors: [string, string, RegExp][] = [
    ['unclosed action', 'hello{{range', /unclosed action/],
    ['unmatched end', '{{end}}', /unexpected \{\{end\}\}/],
    ['unmatched else', '{{else}}', /unexpected \{\{else\}\}/],
    ['missing end', 'hello{{range .x}}', /unexpected EOF/],
    ['missing end after else', 'hello{{range .x}}{{else}}', /unexpected EOF/],
    ['undefined function', 'hello{{undefined}}', /function "undefined" not defined/],
    ['undefined variable', '{{$x}}', /undefined variable "\$x"/],
    ['variable undefined after end', '{{with $x := 4}}{{end}}{{$x}}', /undefined variable "\$x"/],
    ['variable undefined in template', '{{template $v}}', /not supported/],
    ['empty pipeline', '{{printf "%d" ( ) }}', /missing value for parenthesized pipeline/],
    ['unclosed paren', '{{(3}}', /unclosed left paren/],
    ['extra paren', '{{3)}}', /unexpected right paren/],
    ['unterminated string', '{{"x}}', /unterminated quoted string/],
    ['break outside range', '{{range .}}{{end}} {{break}}', /\{\{break\}\} outside \{\{range\}\}/],
    ['unclosed comment', '{{/* x', /unclosed comment/],
    ['comment not alone', '{{/* x */ 3}}', /comment ends before closing delimiter/],
    ['dot applied to a literal', '{{"x".y}}', /unexpected \. after term/],
    ['pipe into nothing', '{{.X | }}', /missing command after \|/],
  ];
  for (const [name, text, pattern] of errors) it(`fails: ${name}`, () => fails(text, pattern));
});

describe('templates as ko configs write them', () => {
  const data = {
    Env: { VERSION: '1.2.3', LDFLAGS: '' },
    Git: { IsDirty: true, ShortCommit: 'abc1234', Tag: 'v0.0.0' },
    GoEnv: { GOARCH: 'arm64' },
    Date: '2023-01-01T00:00:00Z',
    Timestamp: 1672531200,
  };
  const cases: [string, string][] = [
    ['-X main.version={{.Env.VERSION}}', '-X main.version=1.2.3'],
    ['-X main.commit={{.Git.ShortCommit}}{{if .Git.IsDirty}}-dirty{{end}}', '-X main.commit=abc1234-dirty'],
    ['-X main.date={{ .Date }} -X main.ts={{.Timestamp}}', '-X main.date=2023-01-01T00:00:00Z -X main.ts=1672531200'],
    ['{{- if eq .GoEnv.GOARCH "arm64" -}} -X main.arm=yes {{- else -}} -X main.arm=no {{- end}}', '-X main.arm=yes'],
    ['-X main.v={{ printf "%s+%s" .Env.VERSION .Git.ShortCommit }}', '-X main.v=1.2.3+abc1234'],
    ['-X main.v={{ or .Env.LDFLAGS "none" }}', '-X main.v=none'],
    ['-X main.v={{ index .Env "VERSION" }}', '-X main.v=1.2.3'],
  ];
  for (const [text, want] of cases) it(text, () => assert.equal(run(text, data), want));

  it('names where the template came from and quotes it on error', () => {
    assert.throws(
      () => expandTemplate('-X v={{.Env.NOPE}}', data, '/r/.ko.yaml: defaultLdflags[0]'),
      (e: unknown) =>
        isTskoError(e, 'TSKO_CONFIG_INVALID') &&
        e.message.startsWith('/r/.ko.yaml: defaultLdflags[0]: template error: map has no entry for key "NOPE"') &&
        e.message.includes('-X v={{.Env.NOPE}}'),
    );
  });

  it('stops a runaway range instead of hanging', () => {
    fails('{{range 100000}}{{range 100000}}x{{end}}{{end}}', /too long/);
  });

  it('refuses output past 1 MiB, huge printf widths and deep nesting, quickly', () => {
    const started = Date.now();
    fails('{{range 1000}}{{printf "%9999d" 1}}{{end}}', /output exceeds/);
    assert.equal(run('{{printf "%0999999999d" 1}}'), '%!d(BADWIDTH)');
    fails(`{{${'('.repeat(5000)}1${')'.repeat(5000)}}}`, /nests more than 100 levels/);
    fails(`${'{{if true}}'.repeat(5000)}x`, /nests more than 100 levels/);
    assert.ok(Date.now() - started < 2000, 'bounded time');
  });
});
