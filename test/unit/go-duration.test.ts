import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from '../../src/util/goDuration.js';

describe('parseGoDuration', () => {
  it('reads what Go time.ParseDuration reads, in nanoseconds', () => {
    const cases: Array<[string, number]> = [
      ['0', 0],
      ['-0', 0],
      ['300ms', 300e6],
      ['1.5h', 5400e9],
      ['-1.5h', -5400e9],
      ['+2m', 120e9],
      ['2h45m', 9900e9],
      ['1m30.5s', 90.5e9],
      ['.5s', 0.5e9],
      ['10ns', 10],
      ['7us', 7e3],
      ['7\u00b5s', 7e3],
      ['7\u03bcs', 7e3],
    ];
    for (const [text, nanos] of cases) assert.equal(parseGoDuration(text), nanos, text);
  });

  it('gives null for what Go refuses: no unit, unknown units, signs alone, spaces', () => {
    for (const text of ['', '-', '+', '10', '1d', '1 s', 's', '.s', '1s ', 'ms', '1h-1m']) assert.equal(parseGoDuration(text), null, JSON.stringify(text));
  });
});

describe('formatGoDuration', () => {
  it("prints what Go's Duration.String prints", () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [750, '750ns'],
      [1500, '1.5\u00b5s'],
      [12.5e6, '12.5ms'],
      [1e9, '1s'],
      [1.25e9, '1.25s'],
      [90.25e9, '1m30.25s'],
      [3600e9, '1h0m0s'],
      [3723.000000001e9, '1h2m3.000000001s'],
      [-1.5e9, '-1.5s'],
    ];
    for (const [nanos, text] of cases) assert.equal(formatGoDuration(nanos), text, String(nanos));
  });
});
