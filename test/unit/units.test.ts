import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, humanSize, humanSizeWithPrecision, timeAgo } from '../../src/util/units.js';

describe('humanSize', () => {
  it('prints 3 significant digits and a decimal unit, spaced as podman images does', () => {
    const cases: Array<[number, string]> = [
      [0, '0 B'],
      [1, '1 B'],
      [950, '950 B'],
      [999, '999 B'],
      [1000, '1 kB'],
      [1230, '1.23 kB'],
      [11331, '11.3 kB'],
      [5_850_000, '5.85 MB'],
      [5_854_999, '5.85 MB'],
      [7_340_032, '7.34 MB'],
      [1_000_000_000, '1 GB'],
      [1.5e12, '1.5 TB'],
      [2e15, '2 PB'],
    ];
    for (const [bytes, text] of cases) assert.equal(humanSize(bytes), text, String(bytes));
  });

  it('rounds exact halves to even, as Go does', () => {
    assert.equal(humanSize(1125), '1.12 kB');
    assert.equal(humanSize(1135), '1.14 kB');
    assert.equal(humanSize(2_500), '2.5 kB');
  });

  it('keeps go-units quirks near unit boundaries', () => {
    assert.equal(humanSize(999_999), '1e+03 kB');
    assert.equal(humanSize(999_499), '999 kB');
  });
});

describe('humanSizeWithPrecision', () => {
  it('is go-units HumanSizeWithPrecision, without a space', () => {
    assert.equal(humanSizeWithPrecision(5_850_000, 3), '5.85MB');
    assert.equal(humanSizeWithPrecision(2_746_000, 4), '2.746MB');
    assert.equal(humanSizeWithPrecision(796_000, 4), '796kB');
    assert.equal(humanSizeWithPrecision(950, 4), '950B');
    assert.equal(humanSizeWithPrecision(1e27, 4), '1000YB');
  });
});

describe('humanDuration', () => {
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;

  it('follows go-units thresholds', () => {
    const cases: Array<[number, string]> = [
      [-5 * second, 'Less than a second'],
      [0, 'Less than a second'],
      [999, 'Less than a second'],
      [second, '1 second'],
      [1999, '1 second'],
      [2 * second, '2 seconds'],
      [59_999, '59 seconds'],
      [minute, 'About a minute'],
      [2 * minute - 1, 'About a minute'],
      [2 * minute, '2 minutes'],
      [hour - 1, '59 minutes'],
      [hour, 'About an hour'],
      [1.49 * hour, 'About an hour'],
      [1.5 * hour, '2 hours'],
      [3 * hour, '3 hours'],
      [47.49 * hour, '47 hours'],
      [47.5 * hour, '2 days'],
      [13 * 24 * hour, '13 days'],
      [335.5 * hour, '2 weeks'],
      [3 * 7 * 24 * hour, '3 weeks'],
      [1439 * hour, '8 weeks'],
      [1440 * hour, '2 months'],
      [4 * 30 * 24 * hour, '4 months'],
      [17_519 * hour, '24 months'],
      [17_520 * hour, '2 years'],
      [3 * 365 * 24 * hour + 5 * hour, '3 years'],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
  });
});

describe('timeAgo', () => {
  it('appends ago to the time since the date', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    assert.equal(timeAgo(new Date('2024-05-01T11:55:00Z'), now), '5 minutes ago');
    assert.equal(timeAgo(now.getTime() - 3 * 24 * 3600 * 1000, now.getTime()), '3 days ago');
    assert.equal(timeAgo(now, now), 'Less than a second ago');
  });

  it('defaults to now', () => {
    assert.equal(timeAgo(new Date(Date.now() - 2 * 3600 * 1000)), '2 hours ago');
  });
});
