import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolateString, interpolateTree, parseDotenv } from '../../src/compose/interpolate.js';

const env = { SET: 'value', EMPTY: '' };
const ctx = { env, file: 'compose.yaml' };
const i = (s: string) => interpolateString(s, ctx, 'services.web.image');

test('plain, braced and defaulted variables', () => {
  assert.equal(i('$SET-${SET}'), 'value-value');
  assert.equal(i('${UNSET:-dflt}/${EMPTY:-dflt}/${SET:-dflt}'), 'dflt/dflt/value');
  assert.equal(i('${UNSET-dflt}/${EMPTY-dflt}'), 'dflt/');
  assert.equal(i('${SET:+alt}/${EMPTY:+alt}/${EMPTY+alt}/${UNSET+alt}'), 'alt//alt/');
  assert.equal(i('${UNSET:-${SET}-x}'), 'value-x');
});

test('$$ is a literal dollar and is not interpolated', () => {
  assert.equal(i('echo $$SET $${SET}'), 'echo $SET ${SET}');
});

test('an unset variable without default becomes empty with a warning', () => {
  const warnings: string[] = [];
  assert.equal(interpolateString('a${NOPE}b', { ...ctx, warn: (m) => warnings.push(m) }, 'x'), 'ab');
  assert.match(warnings[0]!, /"NOPE" variable is not set/);
});

test('required variables fail naming the file, key and message', () => {
  assert.throws(() => i('${UNSET:?give it}'), /^Error: compose\.yaml: services\.web\.image: required variable UNSET is missing a value: give it$|compose\.yaml: services\.web\.image: required variable UNSET is missing a value: give it/);
  assert.throws(() => i('${EMPTY:?}'), /required variable EMPTY/);
  assert.equal(i('${EMPTY?no}'), '');
  assert.throws(() => i('${UNSET?no}'), /required variable UNSET is missing a value: no/);
});

test('malformed expressions are errors', () => {
  assert.throws(() => i('${SET'), /invalid interpolation format/);
  assert.throws(() => i('${1X}'), /invalid interpolation format/);
  assert.throws(() => i('${SET/x}'), /invalid interpolation format/);
});

test('trees: values interpolated, keys kept, paths reported', () => {
  const out = interpolateTree({ services: { web: { environment: ['A=$SET'], ports: [8080] } } }, ctx);
  assert.deepEqual(out, { services: { web: { environment: ['A=value'], ports: [8080] } } });
  assert.throws(() => interpolateTree({ services: { web: { ports: ['${P:?set P}'] } } }, ctx), /compose\.yaml: services\.web\.ports\[0\]: required variable P/);
});

test('dotenv: comments, export, quotes, references', () => {
  const parsed = parseDotenv(`# comment\nexport A=1\nB="two words" \nC='$A raw'\nD=$A-x # trailing\nE=\nF="multi\nline"\n`, '.env');
  assert.deepEqual(parsed, { A: '1', B: 'two words', C: '$A raw', D: '1-x', E: '', F: 'multi\nline' });
});
