import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32, gzipSync } from 'node:zlib';
import { gzipTrailerCrc32 } from '../../src/storage/tar/decompress.js';
import { crc32Combine } from '../../src/util/crc32.js';

describe('crc32Combine', () => {
  it('gives the CRC-32 of two strings one after the other, for lengths from 0 up', () => {
    for (const [a, b] of [
      [0, 0],
      [0, 7],
      [9, 0],
      [1, 1],
      [100, 3],
      [65_535, 65_536],
      [3, 1 << 20],
    ] as const) {
      const first = randomBytes(a);
      const second = randomBytes(b);
      assert.equal(crc32Combine(crc32(first), crc32(second), b), crc32(Buffer.concat([first, second])), `${a} + ${b} bytes`);
    }
  });

  it('puts a whole stream together from its pieces, as a push does from gzip members', () => {
    const stream = randomBytes(5 * (1 << 20) + 12_345);
    let combined = 0;
    for (let at = 0; at < stream.length; at += 1 << 20) {
      const piece = stream.subarray(at, at + (1 << 20));
      combined = crc32Combine(combined, crc32(piece), piece.length);
    }
    assert.equal(combined, crc32(stream));
    const changed = Buffer.from(stream);
    changed[4_000_000]! ^= 1;
    assert.notEqual(combined, crc32(changed));
  });
});

describe('gzipTrailerCrc32', () => {
  const data = randomBytes(70_000);

  it('reads the CRC-32 of the whole stream from the trailer of a one-member gzip', () => {
    assert.equal(gzipTrailerCrc32(gzipSync(data), data.length), crc32(data));
    // Empty members before the one holding the bytes change nothing.
    assert.equal(gzipTrailerCrc32(Buffer.concat([gzipSync(Buffer.alloc(0)), gzipSync(data)]), data.length), crc32(data));
  });

  it('gives null when the last member does not hold every byte, or other bytes follow it', () => {
    const twoMembers = Buffer.concat([gzipSync(data.subarray(0, 1000)), gzipSync(data.subarray(1000))]);
    assert.equal(gzipTrailerCrc32(twoMembers, data.length), null);
    assert.equal(gzipTrailerCrc32(Buffer.concat([gzipSync(data), Buffer.alloc(16)]), data.length), null);
    assert.equal(gzipTrailerCrc32(Buffer.from([1, 2, 3]), 3), null);
  });
});
