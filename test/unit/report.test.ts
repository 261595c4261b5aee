import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alignColumns, formatReport, headerFor, isJsonFormat, isTableFormat, printJson, splitCamelCase } from '../../src/cli/format/report.js';
import { goStruct, TemplateError } from '../../src/cli/format/gotemplate.js';

const rows = [
  { ID: 'fb2e925c67ad', Repository: 'docker.io/library/alpine', Tag: 'latest', CreatedSince: 'Less than a second ago', Size: '11.3 kB', Names: ['a', 'b'], ReadOnly: false, Labels: { app: 'web' } },
  { ID: 'fb2e925c67ad', Repository: 'quay.io/podman/hello', Tag: 'v1.0', CreatedSince: 'Less than a second ago', Size: '11.3 kB', Names: ['c'], ReadOnly: true, Labels: {} },
  {
    ID: 'fb2e925c67ad',
    Repository: 'localhost/averyveryverylongrepositoryname/x',
    Tag: 't',
    CreatedSince: 'Less than a second ago',
    Size: '11.3 kB',
    Names: [],
    ReadOnly: false,
    Labels: {},
  },
];

const columns = [
  { header: 'REPOSITORY', field: 'Repository' },
  { header: 'TAG', field: 'Tag' },
  { header: 'IMAGE ID', field: 'ID' },
  { header: 'CREATED', field: 'CreatedSince' },
  { header: 'SIZE', field: 'Size' },
];

const report = (format: string | undefined, extra: { noHeading?: boolean; headers?: Record<string, string> } = {}): string =>
  formatReport(rows, { format, columns, name: 'images', ...extra });

describe('default table', () => {
  // `podman images` output, byte for byte.
  const expected = [
    'REPOSITORY                                   TAG         IMAGE ID      CREATED                 SIZE',
    'docker.io/library/alpine                     latest      fb2e925c67ad  Less than a second ago  11.3 kB',
    'quay.io/podman/hello                         v1.0        fb2e925c67ad  Less than a second ago  11.3 kB',
    'localhost/averyveryverylongrepositoryname/x  t           fb2e925c67ad  Less than a second ago  11.3 kB',
    '',
  ].join('\n');

  it('aligns columns like podman', () => {
    assert.equal(report(undefined), expected);
    assert.equal(report(''), expected);
    assert.equal(report('table'), expected);
  });

  it('drops the header with noHeading', () => {
    assert.equal(report(undefined, { noHeading: true }), expected.slice(expected.indexOf('\n') + 1));
  });

  it('prints just the header for no rows, and nothing without it', () => {
    assert.equal(formatReport([], { columns }), 'REPOSITORY  TAG         IMAGE ID    CREATED     SIZE\n');
    assert.equal(formatReport([], { columns, noHeading: true }), '');
  });

  it('has no trailing spaces', () => {
    for (const line of report(undefined).split('\n')) assert.equal(line, line.trimEnd());
  });

  it('prints cells as Go values', () => {
    const out = formatReport([{ A: ['x', 'y'], B: null, C: true }], {
      columns: [
        { header: 'A', field: 'A' },
        { header: 'B', field: 'B' },
        { header: 'C', field: 'C' },
        { header: 'D', field: 'D' },
      ],
    });
    assert.equal(out, 'A           B           C           D\n[x y]       <nil>       true        <no value>\n');
  });
});

describe('table templates', () => {
  it('derives headers from the fields and aligns the cells (podman output)', () => {
    assert.equal(
      report('table {{.ID}} {{.Repository}}\\t{{.Tag}}'),
      [
        'IMAGE ID      REPOSITORY                                   TAG',
        'fb2e925c67ad  docker.io/library/alpine                     latest',
        'fb2e925c67ad  quay.io/podman/hello                         v1.0',
        'fb2e925c67ad  localhost/averyveryverylongrepositoryname/x  t',
        '',
      ].join('\n'),
    );
  });

  it('keeps text between actions in the cell', () => {
    assert.equal(
      report('table {{.Repository}}:{{.Tag}}'),
      'REPOSITORY:TAG\ndocker.io/library/alpine:latest\nquay.io/podman/hello:v1.0\nlocalhost/averyveryverylongrepositoryname/x:t\n',
    );
  });

  it('runs functions on headers too', () => {
    assert.equal(
      report('table {{.Repository | upper}} {{.Tag | printf "%-10s|"}}'),
      [
        'REPOSITORY                                   TAG       |',
        'DOCKER.IO/LIBRARY/ALPINE                     latest    |',
        'QUAY.IO/PODMAN/HELLO                         v1.0      |',
        'LOCALHOST/AVERYVERYVERYLONGREPOSITORYNAME/X  t         |',
        '',
      ].join('\n'),
    );
  });

  it('uses header overrides, upper-cased, then column headers, then the split field name', () => {
    assert.equal(report('table {{.ReadOnly}} {{.ID}}', { headers: { ReadOnly: 'r/o' } }).split('\n')[0], 'R/O         IMAGE ID');
    assert.equal(report('table {{.CreatedSince}}').split('\n')[0], 'CREATED');
    assert.equal(report('table {{.ReadOnly}}').split('\n')[0], 'READ ONLY');
    assert.equal(report('table {{.Foo}}').split('\n')[0], 'FOO');
  });

  it('honours noHeading', () => {
    assert.equal(report('table {{.Tag}}', { noHeading: true }), 'latest\nv1.0\nt\n');
  });

  it('turns \\t, \\n and spaces into cell and line breaks', () => {
    assert.equal(report('table {{.Tag}}\\n'), 'TAG\nlatest\nv1.0\nt\n');
    assert.equal(report('table {{.Tag}}\\t'), 'TAG         \nlatest      \nv1.0        \nt           \n');
    assert.equal(report('table  {{.Tag}}'), '            TAG\n            latest\n            v1.0\n            t\n');
  });

  it('falls back to the format as written when the normalized one does not parse', () => {
    assert.equal(report('table {{printf "%s\\n" .Tag}}'), 'TAG\nlatest\nv1.0\nt\n');
  });

  it('prints JSON per row', () => {
    assert.equal(
      report('table {{json .Names}} {{.Tag}}'),
      ['"NAMES"     TAG', '["a","b"]   latest', '["c"]       v1.0', '[]          t', ''].join('\n'),
    );
  });

  it('reports template errors', () => {
    assert.throws(() => report('table {{join .Tag ", "}}'), {
      name: 'TemplateError',
      message: 'template: images:1:18: executing "images" at <.Tag>: wrong type for value; expected []string; got string',
    });
    assert.throws(() => report('table {{.ID'), TemplateError);
  });

  it('errors on missing fields of struct rows', () => {
    const structRows = [goStruct({ ID: 'x' }, 'images.imageReporter')];
    assert.throws(() => formatReport(structRows, { format: '{{.Repo}}', columns, name: 'images' }), {
      message: 'template: images:1:13: executing "images" at <.Repo>: can\'t evaluate field Repo in type images.imageReporter',
    });
  });
});

describe('plain templates', () => {
  it('prints one line per row without a header (podman output)', () => {
    assert.equal(
      report('{{.ID}} {{.Repository}}'),
      'fb2e925c67ad docker.io/library/alpine\nfb2e925c67ad quay.io/podman/hello\nfb2e925c67ad localhost/averyveryverylongrepositoryname/x\n',
    );
  });

  it('turns \\t and \\n escapes into real characters, without aligning', () => {
    assert.equal(report('{{.ID}}\\t{{.Tag}}'), 'fb2e925c67ad\tlatest\nfb2e925c67ad\tv1.0\nfb2e925c67ad\tt\n');
    assert.equal(report('{{.Tag}}\\n{{.Size}}'), 'latest\n11.3 kB\nv1.0\n11.3 kB\nt\n11.3 kB\n');
  });

  it('does not add a second newline', () => {
    assert.equal(report('{{.Tag}}\n'), 'latest\nv1.0\nt\n');
  });

  it('prints {{json .}} per row', () => {
    const out = formatReport([{ B: 1, A: '<x>' }], { format: '{{json .}}', columns });
    assert.equal(out, '{"B":1,"A":"<x>"}\n');
  });

  it('leaves templates that range over the rows themselves alone', () => {
    assert.equal(report('{{range .}}{{.Tag}},{{end}}'), 'latest,v1.0,t,\n');
    assert.equal(report('{{ range . }}{{.Tag}}-{{ end -}}'), 'latest-v1.0-t-');
  });

  it('falls back to the format as written when escapes break it', () => {
    assert.equal(report('{{printf "\\n"}}'), '\n\n\n');
  });

  it('ignores noHeading', () => {
    assert.equal(report('{{.Tag}}', { noHeading: true }), 'latest\nv1.0\nt\n');
  });
});

describe('json format', () => {
  it('prints the rows as a 4-space indented array', () => {
    const out = formatReport([{ ID: 'a', Names: ['x'], Labels: {} }], { format: 'json', columns });
    assert.equal(out, '[\n    {\n        "ID": "a",\n        "Names": [\n            "x"\n        ],\n        "Labels": {}\n    }\n]\n');
    assert.equal(formatReport([], { format: 'json', columns }), '[]\n');
  });

  it('recognizes podman JSON format spellings', () => {
    for (const f of ['json', ' json ', '{{json}}', '{{ json }}', '{{json.}}', '{{ json. }}']) assert.ok(isJsonFormat(f), f);
    for (const f of ['{{json .}}', 'table json', 'JSON', '{{.}}']) assert.ok(!isJsonFormat(f), f);
  });
});

describe('printJson', () => {
  it('indents with 4 spaces, escapes HTML and ends with a newline', () => {
    assert.equal(printJson({ Name: '<none>', N: 1 }), '{\n    "Name": "\\u003cnone\\u003e",\n    "N": 1\n}\n');
    assert.equal(printJson([1], { indent: 2 }), '[\n  1\n]\n');
    assert.equal(printJson('<a>', { escapeHtml: false }), '"<a>"\n');
    assert.equal(printJson(null), 'null\n');
  });
});

describe('headers', () => {
  it('splits CamelCase like podman', () => {
    const cases: Array<[string, string[]]> = [
      ['', []],
      ['lowercase', ['lowercase']],
      ['Class', ['Class']],
      ['MyClass', ['My', 'Class']],
      ['MyC', ['My', 'C']],
      ['HTML', ['HTML']],
      ['PDFLoader', ['PDF', 'Loader']],
      ['AString', ['A', 'String']],
      ['SimpleXMLParser', ['Simple', 'XML', 'Parser']],
      ['vimRPCPlugin', ['vim', 'RPC', 'Plugin']],
      ['GL11Version', ['GL', '11', 'Version']],
      ['99Bottles', ['99', 'Bottles']],
      ['May5', ['May', '5']],
      ['BFG9000', ['BFG', '9000']],
      ['BöseÜberraschung', ['Böse', 'Überraschung']],
      ['Two  spaces', ['Two', '  ', 'spaces']],
    ];
    for (const [name, words] of cases) assert.deepEqual(splitCamelCase(name), words, name);
  });

  it('derives headers', () => {
    const opts = { columns: [{ header: 'IMAGE ID', field: 'ID' }], headers: { ReadOnly: 'R/O' } };
    assert.equal(headerFor('ID', opts), 'IMAGE ID');
    assert.equal(headerFor('ReadOnly', opts), 'R/O');
    assert.equal(headerFor('ImageID', opts), 'IMAGE ID');
    assert.equal(headerFor('CreatedAt', opts), 'CREATED AT');
    assert.equal(headerFor('Fieldb', opts), 'FIELDB');
  });

  it('knows table formats', () => {
    assert.ok(isTableFormat('table {{.ID}}'));
    assert.ok(!isTableFormat('table'));
    assert.ok(!isTableFormat('{{.ID}} table '));
  });
});

describe('alignColumns (Go tabwriter, minwidth 12, padding 2)', () => {
  it('pads every column but the last to the widest cell plus 2, at least 12', () => {
    assert.equal(alignColumns('a\tbb\tc\nddddddddddddddd\te\tf\n'), 'a                bb          c\nddddddddddddddd  e           f\n');
  });

  it('treats the text after the last tab as outside any column', () => {
    assert.equal(alignColumns('a\tb\nc\n'), 'a           b\nc\n');
    assert.equal(alignColumns('averyveryverylongcell\nx\ty\n'), 'averyveryverylongcell\nx           y\n');
  });

  it('sizes a column by the run of adjacent lines that have it', () => {
    // containers/common's formatter test: the header block and the row block align on their own.
    const text = 'Value\tIdent\nIdentity\tID\nValue\tIdent\nc061a0839e\tIDf10fc2e11057\tID1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\tID\n';
    assert.equal(alignColumns(text), 'Value       Ident\nIdentity    ID\nValue       Ident\nc061a0839e  IDf10fc2e11057  ID1eb6fab5aa8f4b5cbfd3e66aa35e9b2a  ID\n');
    assert.equal(alignColumns('a\tb\tc\nd\te\nf\tg\th\n'), 'a           b           c\nd           e\nf           g           h\n');
  });

  it('pads empty cells and counts characters, not bytes', () => {
    assert.equal(alignColumns('\tx\nééé\ty\n'), '            x\nééé         y\n');
  });

  it('keeps a final line without a newline', () => {
    assert.equal(alignColumns('a\tb\nc\td'), 'a           b\nc           d');
    assert.equal(alignColumns(''), '');
  });

  it('takes other widths', () => {
    assert.equal(alignColumns('a\tb\nccc\td\n', { minWidth: 0, padding: 1 }), 'a   b\nccc d\n');
  });
});
