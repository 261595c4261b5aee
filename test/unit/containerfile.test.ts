import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContainerfile } from '../../src/builder/containerfile/parser.js';
import { expandWord, expandWords } from '../../src/builder/containerfile/shellWords.js';
import { planStages } from '../../src/builder/stages.js';

test('parser: directives, comments, continuations, flags, JSON and shell forms, heredocs', () => {
  const file = parseContainerfile(
    [
      '# syntax=docker/dockerfile:1',
      '# escape=`',
      '# a comment',
      'FROM --platform=linux/amd64 base AS build',
      'RUN --mount=type=cache,target=/c echo a `',
      '# a comment inside',
      '',
      '    b',
      'CMD ["sh", "-c", "x"]',
      'ENTRYPOINT [not json',
      'COPY <<EOF <<-"TWO" /dest/',
      'one $X',
      'EOF',
      '\tsecond',
      'TWO',
      'run lower-case',
    ].join('\n'),
    'Test.file',
  );
  assert.equal(file.escape, '`');
  assert.equal(file.syntax, 'docker/dockerfile:1');
  const [from, run, cmd, entry, copy, lower] = file.instructions;
  assert.deepEqual(from!.flags, [{ name: 'platform', value: 'linux/amd64' }]);
  assert.equal(from!.args, 'base AS build');
  assert.equal(run!.args, 'echo a     b');
  assert.equal(run!.line, 5);
  assert.deepEqual(run!.flags, [{ name: 'mount', value: 'type=cache,target=/c' }]);
  assert.deepEqual(cmd!.json, ['sh', '-c', 'x']);
  assert.equal(entry!.json, undefined, 'not JSON: the shell form');
  assert.deepEqual(
    copy!.heredocs.map((h) => [h.name, h.content, h.expand]),
    [
      ['EOF', 'one $X\n', true],
      ['TWO', 'second\n', false],
    ],
  );
  assert.equal(lower!.keyword, 'RUN');
  assert.equal(lower!.line, 16);
});

test('parser errors name the file and the line', () => {
  assert.throws(() => parseContainerfile('FROM x\nBOGUS y\n', 'Containerfile'), /^ContainerfileSyntaxError: Containerfile:2: unknown instruction: BOGUS$/);
  assert.throws(() => parseContainerfile('FROM x\nRUN <<EOF\nno end\n', 'C'), /C:2: unterminated heredoc/);
  assert.throws(() => parseContainerfile('FROM x\nENV\n', 'C'), /C:2: ENV requires at least one argument/);
  assert.throws(() => planStages(parseContainerfile('RUN x\n', 'C'), new Map(), undefined, new Map()), /C:1: RUN before the first FROM/);
});

test('word expansion: quotes, escapes and the ${} modifiers', () => {
  const vars = new Map([
    ['A', 'alpha'],
    ['EMPTY', ''],
    ['SP', 'two words'],
  ]);
  assert.equal(expandWord('$A-${A}', vars), 'alpha-alpha');
  assert.equal(expandWord("'$A' \"$A\" \\$A", vars), '$A alpha $A');
  assert.equal(expandWord('${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${A:+set} ${UNSET:+set}', vars), 'd  d set ');
  assert.deepEqual(expandWords('x $SP "y z"', vars), ['x', 'two words', 'y z'], 'expansions are not split');
  assert.throws(() => expandWord('${UNSET:?must be set}', vars), /UNSET: must be set/);
  assert.throws(() => expandWord('"open', vars), /matching double-quote/);
});

test('stages: ARG before FROM, target selection builds only the needed stages', () => {
  const file = parseContainerfile(
    'ARG IMG=base\nFROM $IMG AS a\nFROM other AS unused\nFROM a AS b\nCOPY --from=a /x /y\nFROM scratch\nCOPY --from=b /y /z\n',
    'C',
  );
  const all = planStages(file, new Map(), undefined, new Map());
  assert.deepEqual(all.order, [0, 2, 3]);
  assert.equal(all.stages[0]!.base, 'base');
  const withArg = planStages(file, new Map([['IMG', 'mine']]), 'b', new Map());
  assert.deepEqual(withArg.order, [0, 2]);
  assert.equal(withArg.stages[0]!.base, 'mine');
  assert.throws(() => planStages(file, new Map(), 'nope', new Map()), /no stage named "nope"/);
});
