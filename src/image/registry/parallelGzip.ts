import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, gzip, gzipSync } from 'node:zlib';

type ZlibOptions = { level: number; chunkSize?: number };
const gzipAsync = promisify(gzip) as (input: Buffer, options: ZlibOptions) => Promise<Buffer>;
const deflateRawAsync = promisify(deflateRaw) as (input: Buffer, options: ZlibOptions) => Promise<Buffer>;

const PROBES = 4;
const PROBE_SIZE = 4096;
/** A chunk whose probes shrink by less than this is stored, not deflated. */
const INCOMPRESSIBLE = 0.97;

/**
 * Compresses one chunk as a gzip member. Already-compressed content (zipped,
 * image or compressed files in a layer) barely shrinks but costs deflate
 * its full time, so a few small samples are tried at the fastest level first
 * and a chunk that does not shrink is stored (deflate stored blocks), as Go's
 * compressors skip incompressible input.
 */
async function gzipChunk(chunk: Buffer, level: number): Promise<Buffer> {
  if (level !== 0) {
    let sample: Buffer;
    if (chunk.length <= PROBES * PROBE_SIZE) sample = chunk;
    else {
      const step = Math.floor((chunk.length - PROBE_SIZE) / (PROBES - 1));
      sample = Buffer.concat(Array.from({ length: PROBES }, (_, i) => chunk.subarray(i * step, i * step + PROBE_SIZE)));
    }
    const probe = await deflateRawAsync(sample, { level: 1 });
    if (probe.length >= sample.length * INCOMPRESSIBLE) return storedMember(chunk);
  }
  // One output buffer that fits the whole member: zlib's default of 16 KiB
  // means a round trip to the main thread per 16 KiB.
  return gzipAsync(chunk, { level, chunkSize: chunk.length + (chunk.length >> 6) + 1024 });
}

/** Uncompressed bytes per gzip member: big enough that the 18 bytes of member framing and the lost history cost nothing worth counting. */
export const GZIP_CHUNK = 1 << 20;

const STORED_BLOCK = 0xffff;
/** gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS unix (as zlib writes it). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/**
 * A gzip member holding `data` in stored deflate blocks, what zlib's level 0
 * writes, built here: copying plus a CRC costs less than a zlib stream.
 */
export function storedMember(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_BLOCK));
  const out = Buffer.allocUnsafe(GZIP_HEADER.length + blocks * 5 + data.length + 8);
  let at = GZIP_HEADER.copy(out, 0);
  for (let i = 0; i < blocks; i++) {
    const start = i * STORED_BLOCK;
    const len = Math.min(STORED_BLOCK, data.length - start);
    out[at] = i === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(len, at + 1);
    out.writeUInt16LE(~len & 0xffff, at + 3);
    at += 5;
    at += data.copy(out, at, start, start + len);
  }
  out.writeUInt32LE(crc32(data), at);
  out.writeUInt32LE(data.length >>> 0, at + 4);
  return out;
}

/**
 * gzip on several cores: the input is cut into fixed-size chunks, each
 * compressed on libuv's thread pool as a gzip member of its own, and the
 * members are emitted in input order. Concatenated members are one valid
 * gzip stream (RFC 1952; Go's, zlib's and Node's readers all read them).
 * At most `parallel` chunks are in flight, so memory stays at a few chunks.
 * The same input always gives the same bytes, so a layer pushed twice gets
 * the same digest.
 */
export class ParallelGzip extends Transform {
  private buffer: Buffer;
  private filled = 0;
  private readonly inFlight: Array<Promise<Buffer>> = [];
  private emittedAny = false;

  constructor(
    private readonly level: number = constants.Z_DEFAULT_COMPRESSION,
    private readonly parallel: number = Math.max(2, Math.min(4, availableParallelism())),
    private readonly chunkSize: number = GZIP_CHUNK,
  ) {
    super({ readableHighWaterMark: chunkSize });
    this.buffer = Buffer.allocUnsafe(chunkSize);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    (async () => {
      if (this.filled > 0) this.dispatch();
      while (this.inFlight.length > 0) await this.emitOldest();
      // An empty input is still a valid (empty) gzip stream.
      if (!this.emittedAny) this.push(gzipSync(Buffer.alloc(0), { level: this.level }));
    })().then(() => callback(), callback);
  }

  private async accept(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.chunkSize - this.filled);
      chunk.copy(this.buffer, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.chunkSize) {
        this.dispatch();
        while (this.inFlight.length >= this.parallel) await this.emitOldest();
      }
    }
  }

  private dispatch(): void {
    const input = this.filled === this.chunkSize ? this.buffer : this.buffer.subarray(0, this.filled);
    const compressing = gzipChunk(input, this.level);
    // Awaited in order later; a failure of a later chunk must not count as unhandled meanwhile.
    compressing.catch(() => undefined);
    this.inFlight.push(compressing);
    this.buffer = Buffer.allocUnsafe(this.chunkSize);
    this.filled = 0;
  }

  private async emitOldest(): Promise<void> {
    const member = await this.inFlight[0]!;
    this.inFlight.shift();
    this.emittedAny = true;
    this.push(member);
  }
}
