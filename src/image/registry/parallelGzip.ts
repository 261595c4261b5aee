import { availableParallelism } from 'node:os';
import { constants, crc32, createGzip, gzipSync, type Gzip } from 'node:zlib';

const PROBES = 4;
const PROBE_SIZE = 4096;
/** A chunk whose samples' byte entropy is at least this share of 8 bits is stored, not deflated. */
const INCOMPRESSIBLE = 0.97;

/**
 * A zlib deflate context kept for many gzip members: setting one up costs
 * about a millisecond (its tables are allocated and cleared), as much as
 * compressing a tenth of a 1 MiB chunk. Each member is written, finished,
 * and the context reset for the next.
 */
class MemberCompressor {
  private readonly gzip: Gzip & { reset(): void };
  private output: Buffer[] = [];
  private closed = false;
  busy = false;

  constructor(level: number, chunkSize: number) {
    // One output buffer that fits a whole member: zlib's default of 16 KiB means a round trip per 16 KiB.
    this.gzip = createGzip({ level, chunkSize: chunkSize + (chunkSize >> 6) + 1024 }) as Gzip & { reset(): void };
    this.gzip.on('data', (d: Buffer) => this.output.push(d));
  }

  /** The chunk as one gzip member, in a buffer of its own. */
  compress(chunk: Buffer): Promise<Buffer> {
    this.busy = true;
    return new Promise<Buffer>((resolve, reject) => {
      this.gzip.once('error', reject);
      this.gzip.write(chunk);
      this.gzip.flush(constants.Z_FINISH, () => {
        this.gzip.off('error', reject);
        // Closed meanwhile (the stream was destroyed): the context is gone, and reset() would throw in this callback.
        if (this.closed) return reject(new Error('gzip compression was stopped'));
        // A copy: the pieces are views into zlib's output buffer, which the next member fills on.
        const member = Buffer.concat(this.output);
        this.output = [];
        this.gzip.reset();
        this.busy = false;
        resolve(member);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.gzip.close();
  }
}

/**
 * Whether a few samples of the chunk have nearly 8 bits of entropy per byte:
 * compressed data does, and deflate's Huffman codes cannot shrink it. Counting
 * bytes costs a tenth of a trial deflate (which ran at ~100 MB/s on such data).
 */
function looksIncompressible(chunk: Buffer): boolean {
  const counts = new Uint32Array(256);
  // `| 0`, not Math.floor: V8 speculates an exact integer division, and the first chunk length
  // that does not divide threw its optimised code away (three TurboFan compiles per push, 25 ms).
  const step = chunk.length <= PROBES * PROBE_SIZE ? PROBE_SIZE : ((chunk.length - PROBE_SIZE) / (PROBES - 1)) | 0;
  let total = 0;
  for (let p = 0; p < PROBES; p++) {
    const end = Math.min(p * step + PROBE_SIZE, chunk.length);
    for (let i = p * step; i < end; i++) counts[chunk[i]!]!++;
    total += Math.max(0, end - p * step);
  }
  if (total === 0) return false;
  let bits = 0;
  for (const count of counts) if (count > 0) bits -= (count / total) * Math.log2(count / total);
  return bits >= 8 * INCOMPRESSIBLE;
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
  out.set(GZIP_HEADER, 0);
  let at = GZIP_HEADER.length;
  // Plain byte stores and TypedArray#set rather than Buffer's writeUInt16LE and copy: those are
  // JavaScript functions that TurboFan compiled in every push (~18 ms of a core).
  for (let i = 0; i < blocks; i++) {
    const start = i * STORED_BLOCK;
    const len = Math.min(STORED_BLOCK, data.length - start);
    out[at] = i === blocks - 1 ? 1 : 0;
    out[at + 1] = len & 0xff;
    out[at + 2] = len >>> 8;
    out[at + 3] = ~len & 0xff;
    out[at + 4] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), at + 5);
    at += 5 + len;
  }
  out.writeUInt32LE(crc32(data), at);
  out.writeUInt32LE(data.length >>> 0, at + 4);
  return out;
}

/**
 * gzip on several cores: the input, in chunks of GZIP_CHUNK bytes (the last
 * may be shorter), is compressed chunk by chunk on libuv's thread pool, each
 * chunk a gzip member of its own, and the members come out in input order.
 * Already-compressed content (zipped, image or compressed files in a layer)
 * barely shrinks but costs deflate its full time, so such a chunk is stored
 * (deflate stored blocks), as Go's compressors skip incompressible input.
 * Concatenated members are one valid gzip stream (RFC 1952; Go's, zlib's and
 * Node's readers all read them). At most `parallel` chunks are in flight.
 * `done(chunk)` is called once a chunk's bytes are no longer read, so the
 * caller may fill it again. Input cut otherwise is gathered into whole chunks
 * first. The same input always gives the same bytes, so a layer pushed twice
 * gets the same digest.
 */
export async function* gzipMembers(
  input: AsyncIterable<Buffer> | Iterable<Buffer>,
  level: number = constants.Z_DEFAULT_COMPRESSION,
  done: (chunk: Buffer) => void = () => undefined,
  parallel: number = Math.max(2, Math.min(4, availableParallelism())),
): AsyncGenerator<Buffer> {
  const compressors: MemberCompressor[] = [];
  const inFlight: Array<Promise<Buffer>> = [];
  let emittedAny = false;
  const start = (chunk: Buffer, release: () => void): void => {
    let member: Promise<Buffer>;
    if (level !== 0 && looksIncompressible(chunk)) {
      member = Promise.resolve(storedMember(chunk));
      release();
    } else {
      // At most `parallel` chunks are in flight, so at most that many contexts.
      let idle = compressors.find((c) => !c.busy);
      if (!idle) compressors.push((idle = new MemberCompressor(level, GZIP_CHUNK)));
      member = idle.compress(chunk).finally(release);
    }
    // Awaited in order later; a failure of a later chunk must not count as unhandled meanwhile.
    member.catch(() => undefined);
    inFlight.push(member);
  };
  try {
    let gathered: Buffer | undefined;
    let filled = 0;
    for await (const chunk of input) {
      if (filled === 0 && chunk.length === GZIP_CHUNK) {
        start(chunk, () => done(chunk));
      } else {
        // Pieces of other sizes are copied into whole chunks (and given back at once).
        let at = 0;
        while (at < chunk.length) {
          gathered ??= Buffer.allocUnsafe(GZIP_CHUNK);
          const n = chunk.copy(gathered, filled, at, Math.min(chunk.length, at + GZIP_CHUNK - filled));
          filled += n;
          at += n;
          if (filled === GZIP_CHUNK) {
            start(gathered, () => undefined);
            gathered = undefined;
            filled = 0;
          }
        }
        done(chunk);
      }
      while (inFlight.length >= parallel) {
        emittedAny = true;
        yield await inFlight.shift()!;
      }
    }
    if (filled > 0) start(gathered!.subarray(0, filled), () => undefined);
    while (inFlight.length > 0) {
      emittedAny = true;
      yield await inFlight.shift()!;
    }
    // An empty input is still a valid (empty) gzip stream.
    if (!emittedAny) yield gzipSync(Buffer.alloc(0), { level });
  } finally {
    for (const c of compressors) c.close();
  }
}
