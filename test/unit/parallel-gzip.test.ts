import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GZIP_CHUNK, gzipMembers } from '../../src/image/registry/parallelGzip.js';

async function compress(pieces: Buffer[], done?: (chunk: Buffer) => void): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const member of gzipMembers(pieces, undefined, done)) out.push(member);
  return Buffer.concat(out);
}

const text = (size: number): Buffer => Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(Math.ceil(size / 44)).slice(0, size));

describe('gzipMembers', () => {
  it('gives back the input through gunzip, whole chunks or odd pieces, random or text', async () => {
    const input = Buffer.concat([randomBytes(GZIP_CHUNK + 1000), text(2 * GZIP_CHUNK + 17), randomBytes(5000)]);
    const whole = await compress([input.subarray(0, GZIP_CHUNK), input.subarray(GZIP_CHUNK)]);
    assert.ok(gunzipSync(whole).equals(input));
    const pieces: Buffer[] = [];
    for (let at = 0; at < input.length; at += 300_001) pieces.push(input.subarray(at, at + 300_001));
    const odd = await compress(pieces);
    assert.ok(odd.equals(whole), 'the same bytes however the input was cut');
  });

  it('stores random chunks (no bigger than the input plus framing) and shrinks text', async () => {
    const random = randomBytes(2 * GZIP_CHUNK);
    const stored = await compress([random]);
    assert.ok(stored.length > random.length && stored.length < random.length + 1000, `stored ${stored.length}`);
    const prose = text(2 * GZIP_CHUNK);
    assert.ok((await compress([prose])).length < prose.length / 20);
  });

  it('makes each compressible chunk the member a fresh zlib would (its reused contexts keep no state)', async () => {
    const prose = Buffer.concat([text(GZIP_CHUNK), Buffer.from('another text '.repeat(90_000)).subarray(0, GZIP_CHUNK), text(12345)]);
    const expected = [0, 1, 2].map((i) => gzipSync(prose.subarray(i * GZIP_CHUNK, (i + 1) * GZIP_CHUNK)));
    assert.ok((await compress([prose])).equals(Buffer.concat(expected)));
  });

  it('writes a valid gzip stream for empty input', async () => {
    assert.equal(gunzipSync(await compress([])).length, 0);
  });

  it('gives each input chunk back only once its bytes are no longer read, so it may be refilled', async () => {
    const chunks = [randomBytes(GZIP_CHUNK), text(GZIP_CHUNK), text(GZIP_CHUNK), randomBytes(GZIP_CHUNK), text(1000)];
    const originals = chunks.map((c) => Buffer.from(c));
    const given: Buffer[] = [];
    // Each chunk is scribbled over the moment it is given back: a member read from it later would not unzip to the original.
    const out = await compress(chunks, (chunk) => {
      given.push(chunk);
      chunk.fill(0x55);
    });
    assert.ok(gunzipSync(out).equals(Buffer.concat(originals)));
    assert.equal(given.length, chunks.length);
  });
});
