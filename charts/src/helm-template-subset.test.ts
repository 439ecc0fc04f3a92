// Pins the subset against Go text/template and Helm/Sprig documented behaviour
// (https://pkg.go.dev/text/template, https://helm.sh/docs/chart_template_guide/, https://masterminds.github.io/sprig/).
import { TemplateError, TemplateSet, toYaml } from './helm-template-subset';

function render(source: string, data: unknown = {}, defines = ''): string {
  const set = new TemplateSet();
  if (defines) set.add('_helpers.tpl', defines);
  set.add('main', source);
  return set.execute('main', data);
}

describe('whitespace trimming', () => {
  it('trims all white space before {{- and after -}} including newlines', () => {
    expect(render('a  \n\t {{- "b" -}} \n\n c')).toBe('abc');
  });

  it('keeps white space when the dash has no space next to it (a negative number)', () => {
    expect(render('x {{-3}} y')).toBe('x -3 y');
  });

  it('removes a comment and trims around it when marked', () => {
    expect(render('a\n{{- /* note */ -}}\nb')).toBe('ab');
    expect(render('a{{/* note */}}b')).toBe('ab');
  });
});

describe('actions and pipelines', () => {
  it('prints fields, and nothing for a missing key (Helm drops <no value>)', () => {
    expect(render('{{ .a.b }}|{{ .missing }}', { a: { b: 1 } })).toBe('1|');
  });

  it('errors on a field of a missing map, as Go does with a nil pointer', () => {
    expect(() => render('{{ .a.b.c }}', { a: {} })).toThrow(/nil pointer evaluating interface \{\}\.c/);
  });

  it('passes the piped value as the last argument', () => {
    expect(render('{{ "x" | printf "%s-%s" "a" }}')).toBe('a-x');
  });

  it('evaluates parenthesised pipelines and fields on their result', () => {
    expect(render('{{ (dict "a" (dict "b" 2)).a.b }}')).toBe('2');
  });

  it('declares and reassigns variables, and $ is the root', () => {
    expect(render('{{ $x := 1 }}{{ $x = 2 }}{{ $x }}{{ with .a }}{{ $.top }}{{ end }}', { a: 1, top: 't' })).toBe('2t');
  });

  it('refuses an undefined variable and an unknown function', () => {
    expect(() => render('{{ $nope }}')).toThrow(/undefined variable "\$nope"/);
    expect(() => render('{{ nope 1 }}')).toThrow(/function "nope" not defined/);
  });

  it('prints maps and lists the way Go formats them', () => {
    expect(render('{{ .m }} {{ .l }}', { m: { b: 1, a: 'x' }, l: [1, 'y'] })).toBe('map[a:x b:1] [1 y]');
  });
});

describe('control structures', () => {
  it('uses Go truthiness: empty string, 0, empty list and map are false', () => {
    const source = '{{ if .v }}T{{ else }}F{{ end }}';
    for (const value of ['', 0, [], {}, null, false]) expect(render(source, { v: value })).toBe('F');
    for (const value of ['a', 1, [0], { a: 0 }, true]) expect(render(source, { v: value })).toBe('T');
  });

  it('chains else if under one end', () => {
    const source = '{{ if eq .n 1 }}one{{ else if eq .n 2 }}two{{ else }}many{{ end }}';
    expect([1, 2, 3].map((n) => render(source, { n }))).toEqual(['one', 'two', 'many']);
  });

  it('with rebinds dot and runs else when empty', () => {
    expect(render('{{ with .a }}{{ .b }}{{ else }}none{{ end }}', { a: { b: 'x' } })).toBe('x');
    expect(render('{{ with .a }}{{ .b }}{{ else }}none{{ end }}', { a: {} })).toBe('none');
  });

  it('ranges over lists with index and over maps in sorted key order', () => {
    expect(render('{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}', { l: ['a', 'b'] })).toBe('0=a;1=b;');
    expect(render('{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}', { m: { z: 1, a: 2 } })).toBe('a=2;z=1;');
    expect(render('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] })).toBe('empty');
  });

  it('scopes variables declared in a block to that block', () => {
    expect(() => render('{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}')).toThrow(/undefined variable/);
  });

  it('reports an action without end', () => {
    expect(() => render('{{ if .a }}x')).toThrow(/has no \{\{end\}\}/);
  });

  it('short-circuits and/or and returns the deciding value', () => {
    expect(render('{{ or .a "fallback" }}|{{ and .b .a.c }}', { a: '', b: false })).toBe('fallback|false');
  });
});

describe('define, template, include and tpl', () => {
  const helpers = '{{- define "greet" -}}hello {{ .name }}{{- end -}}';

  it('include returns the text so it can be piped; template writes it in place', () => {
    expect(render('{{ include "greet" (dict "name" "a") | upper }}', {}, helpers)).toBe('HELLO A');
    expect(render('[{{ template "greet" (dict "name" "b") }}]', {}, helpers)).toBe('[hello b]');
  });

  it('errors on an unknown template name', () => {
    expect(() => render('{{ include "nope" . }}')).toThrow(/no template "nope"/);
  });

  it('stops runaway recursion', () => {
    expect(() => render('{{ include "loop" . }}', {}, '{{ define "loop" }}{{ include "loop" . }}{{ end }}')).toThrow(
      /exceeded max nesting/,
    );
  });

  it('tpl renders a value as a template with the given data', () => {
    expect(
      render('{{ tpl .Values.text . }}', { Values: { text: '{{ .Release.Name }}-svc' }, Release: { Name: 'r' } }),
    ).toBe('r-svc');
  });
});

describe('Helm and Sprig functions', () => {
  it('required fails with the message on nil and empty string, passes other values through', () => {
    expect(() => render('{{ required "a.b is required" .a }}')).toThrow(TemplateError);
    expect(() => render('{{ required "a.b is required" .a }}', { a: '' })).toThrow(
      /error calling required: a.b is required/,
    );
    expect(render('{{ required "x" .a }}', { a: 0 })).toBe('0');
  });

  it('default replaces empty values only', () => {
    expect(
      render('{{ .a | default "d" }}|{{ .b | default "d" }}|{{ .c | default 5 }}', { a: '', b: 'set', c: 0 }),
    ).toBe('d|set|5');
  });

  it('quote uses Go %q escaping and skips nil', () => {
    expect(render('{{ quote .a }}|{{ quote .missing }}|{{ .n | quote }}', { a: 'say "hi"', n: 8080 })).toBe(
      '"say \\"hi\\""||"8080"',
    );
  });

  it('indent pads every line; nindent adds a leading newline', () => {
    expect(render('{{ indent 2 "a\\nb" }}')).toBe('  a\n  b');
    expect(render('x:{{ nindent 2 "a\\nb" }}')).toBe('x:\n  a\n  b');
  });

  it('toYaml sorts keys, leaves sequences unindented under their key and has no trailing newline', () => {
    expect(toYaml({ b: [1, 2], a: { c: 'x' } })).toBe('a:\n  c: x\nb:\n- 1\n- 2');
    expect(toYaml({})).toBe('{}');
    expect(render('{{ toYaml .v }}', { v: null })).toBe('null');
  });

  it('printf supports %s %d %v %q', () => {
    expect(render('{{ printf "%s:%d:%v:%q" "a" 3 true "b" }}')).toBe('a:3:true:"b"');
  });

  it('b64enc, trunc, trimSuffix, replace, sha256sum behave like Sprig', () => {
    expect(render('{{ b64enc "user:pass" }}')).toBe('dXNlcjpwYXNz');
    expect(render('{{ "abcdef" | trunc 3 }}|{{ "name-" | trimSuffix "-" }}|{{ "a.b" | replace "." "-" }}')).toBe(
      'abc|name|a-b',
    );
    expect(render('{{ sha256sum "" }}')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('fail stops rendering with the message', () => {
    expect(() => render('{{ fail "replicas > 1 needs an existing CA" }}')).toThrow(
      /error calling fail: replicas > 1 needs an existing CA/,
    );
  });

  it('eq compares basic types and refuses mismatched ones; eq with several arguments is any-of', () => {
    expect(render('{{ eq .a "x" }}|{{ eq .a "y" "x" }}|{{ ne 1 2 }}', { a: 'x' })).toBe('true|true|true');
    expect(() => render('{{ eq 1 "1" }}')).toThrow(/incompatible types/);
  });

  it('calls a method value with arguments (.Files.Get)', () => {
    expect(render('{{ .Files.Get "f" }}', { Files: { Get: (name: string) => `content of ${name}` } })).toBe(
      'content of f',
    );
  });

  it('hasKey, index, len, join, list, dict, int, add work on values', () => {
    expect(
      render('{{ hasKey .m "a" }}|{{ index .m "a" }}|{{ len .l }}|{{ join "," .l }}|{{ add 1 (int "2") }}', {
        m: { a: 1 },
        l: ['x', 'y'],
      }),
    ).toBe('true|1|2|x,y|3');
  });
});

describe('function lookup', () => {
  it('does not treat Object.prototype members as template functions', () => {
    expect(() => render('{{ constructor }}')).toThrow(/function "constructor" not defined/);
  });
});
