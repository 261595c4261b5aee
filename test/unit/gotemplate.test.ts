import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, goSprintf, goStruct, TemplateError, toGoJson, type TemplateFunc } from '../../src/cli/format/gotemplate.js';

const run = (src: string, data: unknown = {}, funcs?: Record<string, TemplateFunc>): string => compileTemplate(src, funcs).execute(data);

/** Asserts that compiling or running fails with a TemplateError whose message matches. */
function assertFails(src: string, message: RegExp | string, data: unknown = {}): void {
  assert.throws(
    () => run(src, data),
    (error: unknown) => {
      assert.ok(error instanceof TemplateError, `not a TemplateError: ${String(error)}`);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

const image = {
  ID: 'fb2e925c67ad',
  Repository: 'docker.io/library/alpine',
  Tag: 'latest',
  Names: ['alpine', 'web'],
  Labels: { 'io.x': 'y', maintainer: 'me', app: 'web' },
  Size: 11331,
  Dangling: false,
  Nested: { A: { B: { C: 'deep' } } },
  Nothing: null,
};

describe('text and actions', () => {
  it('copies text and prints fields', () => {
    assert.equal(run('id={{.ID}} repo={{.Repository}}', image), 'id=fb2e925c67ad repo=docker.io/library/alpine');
    assert.equal(run('no actions at all'), 'no actions at all');
    assert.equal(run(''), '');
  });

  it('follows field chains through objects and Maps', () => {
    assert.equal(run('{{.Nested.A.B.C}}', image), 'deep');
    assert.equal(run('{{.Labels.maintainer}}', image), 'me');
    assert.equal(run('{{.M.k}}', { M: new Map([['k', 'v']]) }), 'v');
  });

  it('prints <no value> for missing map keys and through them', () => {
    assert.equal(run('{{.Labels.missing}}', image), '<no value>');
    assert.equal(run('{{.Missing}}', image), '<no value>');
    assert.equal(run('{{.Labels.missing.deeper}}', image), '<no value>');
    assert.equal(run('{{.M.nope}}', { M: new Map() }), '<no value>');
  });

  it('prints <nil> for nil values and fails to read fields through them', () => {
    assert.equal(run('{{.Nothing}}', image), '<nil>');
    assertFails('{{.Nothing.X}}', /nil pointer evaluating interface \{\}\.X$/, image);
  });

  it('treats class instances and goStruct objects as structs', () => {
    class Reporter {
      ID = 'abc';
      get Short(): string {
        return this.ID.slice(0, 2);
      }
      Upper(suffix: string): string {
        return this.ID.toUpperCase() + suffix;
      }
    }
    const reporter = new Reporter();
    assert.equal(run('{{.ID}} {{.Short}} {{.Upper "!"}} {{"?" | .Upper}}', reporter), 'abc ab ABC! ABC?');
    assertFails('{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type Reporter', reporter);
    assertFails('{{.ID}}{{.Repo}}', /can't evaluate field Repo in type images\.imageReporter$/, goStruct({ ID: 'x' }, 'images.imageReporter'));
    assert.equal(run('{{.}}', goStruct({ A: 1, B: 'two' }, 'T')), '{1 two}');
    assert.equal(run('{{printf "%+v" .}}', goStruct({ A: 1, B: 'two' }, 'T')), '{A:1 B:two}');
    assert.equal(run('{{if .}}struct is true{{end}}', goStruct({}, 'T')), 'struct is true');
  });

  it('is case-sensitive like Go', () => {
    assert.equal(run('{{.id}}', image), '<no value>');
    assertFails('{{.id}}', /can't evaluate field id in type T/, goStruct({ ID: 1 }, 'T'));
  });

  it('fails on fields of non-objects', () => {
    assertFails('{{.ID.Foo}}', /can't evaluate field Foo in type string$/, image);
    assertFails('{{.Size.Foo}}', /can't evaluate field Foo in type int$/, image);
    assertFails('{{.Names.Foo}}', /can't evaluate field Foo in type \[\]interface \{\}$/, image);
  });

  it('calls methods with arguments, but not functions stored in fields', () => {
    class Calc {
      Add(a: number, b: number): number {
        return a + b;
      }
    }
    assert.equal(run('{{.Add 1 2}} {{3 | .Add 4}}', new Calc()), '3 7');
    const data = { Add: (a: number, b: number) => a + b };
    assert.equal(run('{{call .Add 1 2}}', data), '3');
    assertFails('{{.Add 1 2}}', /Add is not a method but has arguments$/, data);
    assertFails('{{.ID 1}}', /ID is not a method but has arguments$/, image);
    assertFails('{{.A 1}}', /A has arguments but cannot be invoked as function$/, goStruct({ A: 1 }, 'T'));
  });

  it('passes dot and $ around', () => {
    assert.equal(run('{{.}}', 'plain'), 'plain');
    assert.equal(run('{{range .Names}}{{.}}@{{$.ID}} {{end}}', image), 'alpine@fb2e925c67ad web@fb2e925c67ad ');
    assert.equal(run('{{$}}', 5), '5');
  });
});

describe('whitespace trimming and comments', () => {
  it('trims around trim markers', () => {
    assert.equal(run('a  {{- "b" -}}  c'), 'abc');
    assert.equal(run('a\n\t {{- "b"}} \n c'), 'ab \n c');
    assert.equal(run('a {{"b" -}} \n\t c'), 'a bc');
    assert.equal(run('{{- 3 -}}'), '3');
  });

  it('needs a space next to the dash', () => {
    assert.equal(run('{{-3}}'), '-3');
    assert.equal(run('a {{3 -}}\n b'), 'a 3b');
  });

  it('keeps if/else layouts tidy with trim markers', () => {
    const src = '{{ if eq 1 1 -}}\n  yes\n{{- else -}}\n  no\n{{- end }}';
    assert.equal(run(src), 'yes');
  });

  it('skips comments, with or without trimming', () => {
    assert.equal(run('a {{/* comment */}} b'), 'a  b');
    assert.equal(run('a {{- /* comment */ -}} b'), 'ab');
    assert.equal(run('{{/* multi\nline */}}x'), 'x');
  });

  it('rejects malformed comments', () => {
    assertFails('{{/* unclosed }}', 'template: :1: unclosed comment');
    assertFails('{{/* x */ }}', 'template: :1: comment ends before closing delimiter');
  });
});

describe('literals', () => {
  it('prints numbers as Go does', () => {
    assert.equal(run('{{17}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{1.5e3}} {{-5}} {{+5}} {{.5}} {{0x1p4}}'), '17 31 15 15 5 1000 1500 -5 5 0.5 16');
    assert.equal(run("{{'a'}} {{'\\n'}} {{'\\x41'}} {{'é'}}"), '97 10 65 233');
    assert.equal(run('{{1.25}} {{1e-7}}'), '1.25 1e-07');
  });

  it('unquotes strings with Go escapes', () => {
    assert.equal(run('{{"a\\tb\\x41\\u00e9\\101\\"\\\\"}}'), 'a\tbAéA"\\');
    assert.equal(run('{{"\\xc3\\xa9"}}'), 'é');
  });

  it('keeps raw strings raw, across lines, without carriage returns', () => {
    assert.equal(run('{{`raw\\n`}}'), 'raw\\n');
    assert.equal(run('{{`a\r\nb`}}'), 'a\nb');
  });

  it('has booleans and nil', () => {
    assert.equal(run('{{true}} {{false}}'), 'true false');
    assert.equal(run('{{printf "%v" nil}}'), '<nil>');
    assertFails('{{nil}}', /nil is not a command$/);
  });

  it('rejects malformed literals', () => {
    assertFails('{{3x}}', /^template: :1: bad number syntax/);
    assertFails('{{"\\q"}}', 'template: :1: invalid syntax');
    assertFails('{{"a\nb"}}', 'template: :1: unterminated quoted string');
    assertFails('{{`a}}', 'template: :1: unterminated raw quoted string');
    assertFails("{{'ab'}}", "template: :1: malformed character constant: 'ab'");
  });
});

describe('if, else if, with', () => {
  it('branches on Go truth', () => {
    const truthy = [1, -1, 'x', true, [0], { a: 1 }, new Map([[1, 1]])];
    const falsy = [0, '', false, null, undefined, [], {}, new Map()];
    for (const v of truthy) assert.equal(run('{{if .V}}T{{else}}F{{end}}', { V: v }), 'T', String(v));
    for (const v of falsy) assert.equal(run('{{if .V}}T{{else}}F{{end}}', { V: v }), 'F', String(v));
  });

  it('chains else if', () => {
    const src = '{{if eq .N 1}}one{{else if eq .N 2}}two{{else if eq .N 3}}three{{else}}many{{end}}';
    assert.deepEqual(
      [1, 2, 3, 4].map((N) => run(src, { N })),
      ['one', 'two', 'three', 'many'],
    );
  });

  it('sets dot in with, and falls to else on empty values', () => {
    assert.equal(run('{{with .Nested.A}}{{.B.C}}{{end}}', image), 'deep');
    assert.equal(run('{{with .Missing}}x{{else}}none{{end}}', image), 'none');
    assert.equal(run('{{with "x"}}{{.}}{{else with "y"}}{{.}}{{end}}'), 'x');
    assert.equal(run('{{with ""}}{{.}}{{else with "y"}}{{.}}{{end}}'), 'y');
  });

  it('rejects dangling control words', () => {
    assertFails('{{if}}x{{end}}', 'template: :1: missing value for if');
    assertFails('{{end}}', 'template: :1: unexpected {{end}}');
    assertFails('{{else}}', 'template: :1: unexpected {{else}}');
    assertFails('{{if true}}', 'template: :1: unexpected EOF');
    assertFails('{{if 1}}{{else}}{{else}}{{end}}', 'template: :1: expected end; found {{else}}');
    assertFails('{{range .}}{{else if true}}{{end}}', 'template: :1: unexpected <if> in input');
  });
});

describe('range', () => {
  it('ranges over arrays with and without variables', () => {
    assert.equal(run('{{range .Names}}[{{.}}]{{end}}', image), '[alpine][web]');
    assert.equal(run('{{range $e := .Names}}{{$e}};{{end}}', image), 'alpine;web;');
    assert.equal(run('{{range $i, $e := .Names}}{{$i}}={{$e}} {{end}}', image), '0=alpine 1=web ');
  });

  it('ranges over maps and plain objects in key order', () => {
    assert.equal(run('{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', image), 'app=web;io.x=y;maintainer=me;');
    const map = new Map<unknown, string>([
      [10, 'ten'],
      [2, 'two'],
    ]);
    assert.equal(run('{{range $k, $v := .}}{{$k}}:{{$v}} {{end}}', map), '2:two 10:ten ');
  });

  it('ranges over integers and iterables', () => {
    assert.equal(run('{{range 3}}{{.}}{{end}}'), '012');
    assert.equal(run('{{range .}}{{.}}{{end}}', new Set(['a', 'b'])), 'ab');
  });

  it('runs else for nothing to range over', () => {
    for (const v of [[], {}, null, undefined, 0]) assert.equal(run('{{range .V}}x{{else}}empty{{end}}', { V: v }), 'empty');
  });

  it('nests ranges with their own dots and variables', () => {
    const data = { Rows: [{ Cells: ['a', 'b'] }, { Cells: ['c'] }] };
    const src = '{{range $r, $row := .Rows}}{{range $c, $cell := .Cells}}{{$r}}{{$c}}{{$cell}} {{end}}|{{end}}';
    assert.equal(run(src, data), '00a 01b |10c |');
  });

  it('breaks and continues', () => {
    const src = '{{range $i, $e := .}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 3}}{{break}}{{end}}{{$e}}{{end}}';
    assert.equal(run(src, ['a', 'b', 'c', 'd', 'e']), 'ac');
    assert.equal(run('{{range .}}{{range .}}{{break}}{{end}}{{.}}{{end}}', [[1], [2]]), '[1][2]');
  });

  it('rejects break and continue outside range, and bad declarations', () => {
    assertFails('{{break}}', 'template: :1: {{break}} outside {{range}}');
    assertFails('{{range .}}{{end}}{{continue}}', 'template: :1: {{continue}} outside {{range}}');
    assertFails('{{range $a, $b, $c := .}}{{end}}', 'template: :1: too many declarations in range');
    assertFails('{{if $a, $b := 1}}{{end}}', 'template: :1: too many declarations in if');
    assertFails('{{range 2}}{{end}}{{range $i, $e := 2}}{{end}}', /can't use 2 to iterate over more than one variable$/);
  });

  it('cannot range over strings or structs', () => {
    assertFails('{{range .ID}}{{end}}', /range can't iterate over fb2e925c67ad$/, image);
    assertFails('{{range .}}{{end}}', /range can't iterate over \{1\}$/, goStruct({ A: 1 }, 'T'));
  });
});

describe('variables', () => {
  it('declares and assigns', () => {
    assert.equal(run('{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}'), '12');
    assert.equal(run('{{$x := .ID}}{{$x}}', image), 'fb2e925c67ad');
    assert.equal(run('{{$v := .Nested}}{{$v.A.B.C}}', image), 'deep');
  });

  it('scopes declarations to their control structure', () => {
    assert.equal(run('{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}'), '21');
    assertFails('{{if true}}{{$y := 1}}{{end}}{{$y}}', 'template: :1: undefined variable "$y"');
    assertFails('{{range .}}{{$y := .}}{{end}}{{$y}}', 'template: :1: undefined variable "$y"');
  });

  it('lets assignments reach outer variables', () => {
    assert.equal(run('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}'), '2');
    assert.equal(run('{{$last := ""}}{{range .}}{{$last = .}}{{end}}{{$last}}', ['a', 'b']), 'b');
  });

  it('declares in if and with pipelines', () => {
    assert.equal(run('{{with $x := "v"}}{{$x}}{{.}}{{end}}'), 'vv');
    assert.equal(run('{{if $x := ""}}a{{else}}b{{$x}}c{{end}}'), 'bc');
  });

  it('rejects undefined variables', () => {
    assertFails('{{$x}}', 'template: :1: undefined variable "$x"');
    assertFails('{{$x = 1}}', 'template: :1: undefined variable "$x"');
  });
});

describe('pipelines and commands', () => {
  it('passes each result as the last argument of the next command', () => {
    assert.equal(run('{{"a" |}}'), 'a');
    assert.equal(run('{{"a" | printf "%s-%s" "b"}}'), 'b-a');
    assert.equal(run('{{.Names | len | printf "%03d"}}', image), '002');
    assert.equal(run('{{"a" | upper | printf "%s!"}}'), 'A!');
  });

  it('evaluates parenthesised arguments and chains off them', () => {
    assert.equal(run('{{printf "%s/%s" (index .Names 0) (upper .Tag)}}', image), 'alpine/LATEST');
    assert.equal(run('{{(index .Nested "A").B.C}}', image), 'deep');
    assert.equal(run('{{(1)}} {{("a")}}'), '1 a');
  });

  it('rejects malformed pipelines', () => {
    assertFails('{{"a" | "b"}}', 'template: :1: non executable command in pipeline stage 2');
    assertFails('{{ | }}', 'template: :1: unexpected "|" in command');
    assertFails('{{"a" | | upper}}', 'template: :1: unexpected "|" in command');
    assertFails('{{$x := }}', 'template: :1: missing value for command');
    assertFails('{{ 1 }', 'template: :1: unexpected "}" in operand');
    assertFails('{{ ) }}', 'template: :1: unexpected ")" in command');
    assertFails('{{ ( }}', 'template: :1: unclosed left paren');
    assertFails('{{.ID', 'template: :1: unclosed action');
    assertFails('{{"a".Foo}}', 'template: :1: unexpected . after term "\\"a\\""');
    assertFails('{{nosuch 1}}', 'template: :1: function "nosuch" not defined');
    assertFails('{{define "x"}}{{end}}', 'template: :1: {{define}} is not supported');
  });

  it('rejects arguments to non-functions', () => {
    assertFails('{{"x" "y"}}', /can't give argument to non-function "x"$/);
    assertFails('{{.ID | .Tag}}', /Tag is not a method but has arguments$/, image);
  });

  it('counts lines in parse errors and names the template', () => {
    assert.throws(() => compileTemplate('line one\n{{.A}}\n{{.B', undefined, { name: 'images' }), {
      name: 'TemplateError',
      message: 'template: images:3: unclosed action',
    });
  });

  it('locates execution errors like Go', () => {
    assert.throws(() => compileTemplate('ab {{len 3}}', undefined, { name: 'ps' }).execute({}), {
      message: 'template: ps:1:5: executing "ps" at <len 3>: error calling len: len of type int',
    });
  });
});

describe('built-in functions', () => {
  it('and/or return the deciding operand and short-circuit', () => {
    assert.equal(run('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}}'), '0 2 x ');
    const calls: string[] = [];
    const funcs = { mark: (s: unknown) => (calls.push(String(s)), s) };
    assert.equal(run('{{or (mark 1) (mark 2)}} {{and (mark 0) (mark 3)}}', {}, funcs), '1 0');
    assert.deepEqual(calls, ['1', '0']);
    assert.equal(run('{{0 | or 1}} {{1 | and 2}}'), '1 1');
  });

  it('not', () => {
    assert.equal(run('{{not 0}} {{not "a"}} {{not .Missing}}', image), 'true false true');
  });

  it('len counts bytes of strings and elements of collections', () => {
    assert.equal(run('{{len "héllo"}} {{len .Names}} {{len .Labels}} {{len .M}}', { ...image, M: new Map([[1, 2]]) }), '6 2 3 1');
    assertFails('{{len 3}}', /error calling len: len of type int$/);
  });

  it('index', () => {
    assert.equal(run('{{index .Names 1}} {{index .Labels "io.x"}} {{index "abc" 1}} {{index .}}', image), 'web y 98 ' + run('{{.}}', image));
    assert.equal(run('{{index .Labels "nope"}}|', image), '|');
    assert.equal(run('{{index . 0 1}}', [['a', 'b']]), 'b');
    assertFails('{{index .Names 5}}', /error calling index: index out of range: 5$/, image);
    assertFails('{{index .Names "a"}}', /cannot index slice\/array with type string$/, image);
    assertFails('{{index nil 1}}', /index of untyped nil$/);
  });

  it('slice', () => {
    assert.equal(run('{{slice "abcdef"}}|{{slice "abcdef" 2}}|{{slice "abcdef" 1 4}}|{{slice .Names 1}}', image), 'abcdef|cdef|bcd|[web]');
    assertFails('{{slice "abc" 2 1}}', /error calling slice: invalid slice index: 2 > 1$/);
    assertFails('{{slice "abc" 1 2 3}}', /cannot 3-index slice a string$/);
  });

  it('print, printf, println', () => {
    assert.equal(run('{{print 1 2 "a" "b" 3 nil true}}'), '1 2ab3 <nil> true');
    assert.equal(run('{{print}}|{{print "a" 1 2 "b"}}|{{print nil nil}}'), '|a1 2b|<nil> <nil>');
    assert.equal(run('{{println 1 "a" 2}}'), '1 a 2\n');
    assert.equal(run('{{printf "%s has %d names" .ID (len .Names)}}', image), 'fb2e925c67ad has 2 names');
  });

  it('eq takes several arguments and compares basic kinds', () => {
    assert.equal(run('{{eq 1 1}} {{eq 1 2 3 1}} {{eq "a" "b"}} {{eq true true}} {{eq .Missing "x"}} {{eq nil nil}}', image), 'true true false true false true');
    assert.equal(run('{{eq 1.5 1.5}} {{eq .Size 11331}}', image), 'true true');
    assertFails('{{eq 1 "a"}}', 'template: :1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison');
    assertFails('{{eq .Names .Names}}', /error calling eq: non-comparable types/, image);
    assertFails('{{eq 1}}', /error calling eq: missing argument for comparison$/);
  });

  it('ne, lt, le, gt, ge', () => {
    assert.equal(run('{{ne 1 2}} {{ne "a" "a"}}'), 'true false');
    assert.equal(run('{{lt 1 2}} {{lt 2 1}} {{lt 1 1.5}} {{lt "a" "b"}}'), 'true false true true');
    assert.equal(run('{{le 2 2}} {{le 3 2}} {{gt "b" "a"}} {{gt 1 1}} {{ge 1 2}} {{ge 2 2}}'), 'true false true false false true');
    assertFails('{{lt true false}}', /error calling lt: invalid type for comparison$/);
    assertFails('{{lt 1 "a"}}', /error calling lt: incompatible types for comparison$/);
    assertFails('{{ne 1 2 3}}', 'template: :1:2: executing "" at <ne>: wrong number of args for ne: want 2 got 3');
  });

  it('html, js, urlquery', () => {
    assert.equal(run(`{{html "<a href='x'>&\\"</a>"}}`), '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;');
    assert.equal(run('{{js "a\'b\\"c<d>&=\\\\ \\n é"}}'), "a\\'b\\\"c\\u003Cd\\u003E\\u0026\\u003D\\\\ \\u000A é");
    assert.equal(run('{{urlquery "a b&c=d/é~"}}'), 'a+b%26c%3Dd%2F%C3%A9~');
    assert.equal(run('{{html 1 2 "a"}} {{urlquery "a" "b" 1}}'), '1 2a ab1');
  });

  it('call', () => {
    assert.equal(run('{{call .F 2 3}}', { F: (a: number, b: number) => a * b }), '6');
    assertFails('{{call .Nope}}', /error calling call: call of nil$/);
    assertFails('{{call "x"}}', /error calling call: non-function of type string$/);
  });

  it('checks argument counts and types', () => {
    assertFails('{{upper}}', 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 0');
    assertFails('{{and}}', /wrong number of args for and: want at least 1 got 0$/);
    assertFails('{{upper 3}}', 'template: :1:8: executing "" at <3>: expected string; found 3');
    assertFails('{{truncate "abc" "x"}}', /at <"x">: expected integer; found "x"$/);
    assertFails('{{upper .Size}}', /at <\.Size>: wrong type for value; expected string; got int$/, image);
  });

  it('wraps errors thrown by custom functions', () => {
    const funcs = { boom: () => { throw new Error('kaput'); } };
    assert.throws(() => run('{{boom}}', {}, funcs), { message: 'template: :1:2: executing "" at <boom>: error calling boom: kaput' });
  });

  it('lets custom functions override built-ins', () => {
    assert.equal(run('{{upper "x"}} {{and 1 0}}', {}, { upper: () => 'custom', and: () => 'mine' }), 'custom mine');
  });
});

describe('podman functions', () => {
  it('json is compact and does not escape HTML', () => {
    assert.equal(run('{{json .}}', { B: [1, 'x'], A: '<a&b>', C: null }), '{"B":[1,"x"],"A":"<a&b>","C":null}');
    assert.equal(run('{{json .Names}} {{json .ID}} {{json 1.5}} {{json nil}}', image), '["alpine","web"] "fb2e925c67ad" 1.5 null');
    assert.equal(run('{{json .}}', new Map([['b', 1], ['a', 2]])), '{"a":2,"b":1}');
  });

  it('lower, upper, title', () => {
    assert.equal(run('{{lower "ABC"}} {{upper "abc"}} {{title "hello wORLD foo_bar x-y"}}'), 'abc ABC Hello WORLD Foo_bar X-Y');
    assert.equal(run('{{title "élan vital"}}'), 'Élan Vital');
  });

  it('truncate, pad, join, split', () => {
    assert.equal(run('{{truncate "abcdef" 3}}|{{truncate "ab" 3}}|{{truncate "abc" 3}}'), 'abc|ab|abc');
    assert.equal(run('[{{pad "x" 2 3}}][{{pad "" 2 3}}]'), '[  x   ][]');
    assert.equal(run('{{join .Names ", "}}|{{join .Empty ","}}', { ...image, Empty: [] }), 'alpine, web|');
    assert.equal(run('{{split "a,b,c" ","}} {{split "abc" ""}} {{len (split "a,b" ",")}}'), '[a b c] [a b c] 2');
    assertFails('{{join "a" ","}}', /at <"a">: can't handle "a" for arg of type \[\]string$/);
  });
});

describe('value printing', () => {
  it('prints like fmt %v', () => {
    const data = { S: [1, 'a', true, null, [2, 3]], M: { b: 1, a: 'x', c: { d: [] } }, F: 2.5, Big: 12345678901234567890n, D: new Date(0) };
    assert.equal(run('{{.S}}', data), '[1 a true <nil> [2 3]]');
    assert.equal(run('{{.M}}', data), 'map[a:x b:1 c:map[d:[]]]');
    assert.equal(run('{{.F}} {{.Big}}', data), '2.5 12345678901234567890');
    assert.equal(run('{{.D}}', data), new Date(0).toString());
    assert.equal(run('{{.E}}', { E: new Error('bad thing') }), 'bad thing');
  });

  it('prints floats with Go shortest formatting', () => {
    assert.equal(run('{{.A}} {{.B}} {{.C}} {{.D}} {{.E}}', { A: 0.1, B: 1234567.5, C: 1e-5, D: 1e21, E: -0 }), '0.1 1.2345675e+06 1e-05 1e+21 -0');
  });

  it('cannot print functions', () => {
    assertFails('{{.F}}', /at <\{\{\.F\}\}>: can't print \.F of type func$/, { F: Symbol });
  });
});

describe('printf verbs', () => {
  const cases: Array<[string, unknown[], string]> = [
    ['%s|%10s|%-10s|%.2s', ['hello', 'hi', 'hi', 'hello'], 'hello|        hi|hi        |he'],
    ['%q', ['a"b\\c\n'], '"a\\"b\\\\c\\n"'],
    ['%q %+q %#q %#q', ['\x00\x7f\u00a0😀é\t', 'é😀', 'ab', 'a`b'], '"\\x00\\x7f\\u00a0😀é\\t" "\\u00e9\\U0001f600" `ab` "a`b"'],
    ['%x|% x|%X|%#x', ['hi', 'hi', 'hi', 'ab'], '6869|68 69|6869|0x6162'],
    ['%d|%5d|%-5d|%05d|%+d|% d', [42, 42, 42, 42, 42, 5], '42|   42|42   |00042|+42| 5'],
    ['%x|%X|%o|%O|%b|%#x|%#o', [255, 255, 8, 8, 5, 255, 8], 'ff|FF|10|0o10|101|0xff|010'],
    ['%c|%q|%U|%#U', [65, 65, 0x1f600, 0x1f600], "A|'A'|U+1F600|U+1F600 '😀'"],
    ['%5.2d|%.0d|%+.3d|%x', [7, 0, 5, -255], '   07||+005|-ff'],
    ['%t|%v|%5t|%-6t|', [true, false, true, false], 'true|false| true|false |'],
    ['%v|%.3g|%.1f|%.0f|%.0f|%.0f', [1.5, 1.125, 0.25, 0.5, 1.5, 2.5], '1.5|1.12|0.2|0|2|2'],
    ['%e|%E|%.2e|%g|%G', [1234.5678, 1234.5678, 1234.5678, 1234.5678, 1e-7], '1.234568e+03|1.234568E+03|1.23e+03|1234.5678|1E-07'],
    ['%10.3f|%-10.2f|%+.1f|%08.3f|%8.3e', [3.14159, 2.5, 2.25, -3.14159, 1234.5], '     3.142|2.50      |+2.2|-003.142|1.234e+03'],
    ['%.3g|%.3g|%.4g|%.2g|%.10g|%g|%g', [999.5, 0.0001234, 1234.5, 123456, 0.1, 100000.5, 1000000.5], '1e+03|0.000123|1234|1.2e+05|0.1|100000.5|1.0000005e+06'],
    ['%6.2f%%', [12.345], ' 12.35%'],
    ['%*d|%-*d|%.*f', [5, 1, 5, 1, 2, 3.14159], '    1|1    |3.14'],
    ['%v %d', [[1, 2], [1, 2]], '[1 2] [1 2]'],
    ['%5v|%q', [['a', 'b'], ['a', 'b']], '[    a     b]|["a" "b"]'],
    ['%v', [{ b: 2, a: 1 }], 'map[a:1 b:2]'],
    ['%T %T %T %T %T %T %T', [1, 1.5, 's', true, null, [1], {}], 'int float64 string bool <nil> []interface {} map[string]interface {}'],
    ['%f %v %v', [Infinity, -Infinity, NaN], '+Inf -Inf NaN'],
  ];
  for (const [format, args, expected] of cases) {
    it(format, () => assert.equal(goSprintf(format, ...args), expected));
  }

  it('marks bad verbs, missing and extra arguments like fmt', () => {
    assert.equal(goSprintf('%d %s', 'x', 5), '%!d(string=x) %!s(int=5)');
    assert.equal(goSprintf('%d'), '%!d(MISSING)');
    assert.equal(goSprintf('%d', 1, 2, 'a'), '1%!(EXTRA int=2, string=a)');
    assert.equal(goSprintf('%s %d %t %s %z', true, true, 1, 1.5, 1), '%!s(bool=true) %!d(bool=true) %!t(int=1) %!s(float64=1.5) %!z(int=1)');
    assert.equal(goSprintf('%d', null), '%!d(<nil>)');
    assert.equal(goSprintf('%'), '%!(NOVERB)');
    assert.equal(goSprintf('100%%'), '100%');
  });
});

describe('toGoJson', () => {
  it('escapes like encoding/json', () => {
    assert.equal(toGoJson('<a>&\u2028\x01\b\f "q" \\'), '"\\u003ca\\u003e\\u0026\\u2028\\u0001\\b\\f \\"q\\" \\\\"');
    assert.equal(toGoJson('<a>&', { escapeHtml: false }), '"<a>&"');
    assert.equal(toGoJson('\ud800x'), '"\\ufffdx"');
  });

  it('writes numbers, dates, bytes and Maps as Go does', () => {
    assert.equal(toGoJson([1.5e-7, 1e21, 100, -0, NaN, 12n]), '[1.5e-7,1e+21,100,-0,null,12]');
    assert.equal(toGoJson(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120))), '"2024-01-02T03:04:05.12Z"');
    assert.equal(toGoJson(new Date(Date.UTC(2024, 0, 2))), '"2024-01-02T00:00:00Z"');
    assert.equal(toGoJson(new Uint8Array([104, 105])), '"aGk="');
    assert.equal(toGoJson(new Map([['z', 1], ['a', undefined]])), '{"a":null,"z":1}');
  });

  it('indents like MarshalIndent', () => {
    const value = { A: [1, { B: [] }], C: {}, D: 'x', U: undefined };
    assert.equal(toGoJson(value, { indent: '  ' }), '{\n  "A": [\n    1,\n    {\n      "B": []\n    }\n  ],\n  "C": {},\n  "D": "x"\n}');
  });
});

describe('compiled templates', () => {
  it('report the fields they read off dot and $', () => {
    const template = compileTemplate('{{.ID}} {{.Labels.foo}} {{$.Size}} {{range .Names}}{{.}}{{end}} {{$x := .}}{{$x.Other}}');
    assert.deepEqual([...template.fieldNames].sort(), ['ID', 'Labels', 'Names', 'Size']);
  });

  it('execute many times, independently', () => {
    const template = compileTemplate('{{$n := .}}{{$n}}');
    assert.deepEqual([1, 2, 3].map((n) => template.execute(n)), ['1', '2', '3']);
  });

  it('are fast enough for thousands of rows', () => {
    const template = compileTemplate('{{.ID}}\t{{.Repository}}:{{.Tag}}\t{{if .Dangling}}yes{{else}}no{{end}}\t{{join .Names ","}}\t{{printf "%.2f" 1.5}}\n');
    const start = performance.now();
    for (let i = 0; i < 20000; i++) template.execute(image);
    assert.ok(performance.now() - start < 2000, 'took too long');
  });
});
