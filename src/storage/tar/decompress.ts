/**
 * Transparent decompression of layer blobs: sniffs the magic bytes and returns
 * the uncompressed byte stream. Corrupt compressed data becomes BadInputError;
 * errors of the input stream itself pass through unchanged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { BadInputError, MissingProgramError, errorMessage } from '../../util/errors.js';
import { waitDrain } from '../../util/drain.js';

export type Compression = 'none' | 'gzip' | 'zstd';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const OUTPUT_CHUNK = 1 << 20;
/**
 * How many output chunks gunzip may run ahead of its reader. At zlib's
 * default (16 KiB) it stops after every chunk until the reader asks again, so
 * inflating and reading take turns instead of overlapping: measured on
 * 100 MiB, 3-6x the wall time of letting it run a few chunks ahead. Object
 * mode, so the reader gets each chunk as it is, never several joined (a copy).
 */
const GUNZIP_AHEAD = 4;

export interface DecompressOptions {
  /**
   * Called with each input chunk once the decompressor is done with its
   * memory (gzip, zstd), so the caller may fill it again; never for input
   * that is passed through uncompressed, nor after a failure.
   */
  release?: (chunk: Buffer) => void;
}

export async function decompressStream(input: Readable, opts: DecompressOptions = {}): Promise<{ stream: Readable; compression: Compression }> {
  const source = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const { head, done } = await readHead(source, ZSTD_MAGIC.length);
  const chunks = resumed(head, done ? undefined : source);
  const compression = detectCompression(head);
  const abortInput = (): void => {
    input.destroy();
  };
  switch (compression) {
    case 'gzip':
      return { stream: toStream(gunzipChunks(chunks, abortInput, opts.release)), compression };
    case 'zstd':
      return { stream: toStream(await zstdChunks(chunks, abortInput, opts.release)), compression };
    case 'none':
      return { stream: toStream(chunks), compression };
  }
}

/**
 * The CRC-32 of a gzip stream's uncompressed bytes, read from its trailer:
 * the last 8 bytes, CRC-32 and length (mod 2^32) of the last member, which
 * gunzip has checked against the bytes it gave. When that length is the
 * whole length (under 4 GiB), any members before held no bytes, so the
 * trailer's CRC is the whole stream's. Null when it is not (several members,
 * or bytes after the gzip data).
 */
export function gzipTrailerCrc32(lastBytes: Buffer, uncompressedSize: number): number | null {
  if (lastBytes.length < 8 || uncompressedSize >= 2 ** 32) return null;
  const trailer = lastBytes.subarray(lastBytes.length - 8);
  return trailer.readUInt32LE(4) === uncompressedSize ? trailer.readUInt32LE(0) : null;
}

export function detectCompression(head: Buffer): Compression {
  if (head.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Whether a file's first 512 bytes are a tar archive that decompressStream can read (plain, gzip or zstd). */
export function looksLikeTarArchive(head: Buffer): boolean {
  return detectCompression(head) !== 'none' || (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar');
}

function toStream(chunks: AsyncIterable<Buffer>): Readable {
  return Readable.from(chunks, { objectMode: false, highWaterMark: OUTPUT_CHUNK });
}

/** Reads at least `bytes` bytes (fewer only at the end of input). */
async function readHead(source: AsyncIterator<Buffer>, bytes: number): Promise<{ head: Buffer; done: boolean }> {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < bytes) {
    const next = await source.next();
    if (next.done) return { head: Buffer.concat(parts), done: true };
    parts.push(next.value);
    total += next.value.length;
  }
  return { head: parts.length === 1 ? parts[0]! : Buffer.concat(parts), done: false };
}

/** The sniffed bytes followed by the rest of the source. */
async function* resumed(head: Buffer, rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  if (!rest) return;
  try {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

async function* gunzipChunks(compressed: AsyncGenerator<Buffer>, abortInput: () => void, release: DecompressOptions['release']): AsyncGenerator<Buffer> {
  // zlib passes stream options on to its Transform; its typings only list zlib's own.
  const gunzip = createGunzip({ chunkSize: OUTPUT_CHUNK, readableObjectMode: true, readableHighWaterMark: GUNZIP_AHEAD } as ZlibOptions);
  let sourceError: unknown;
  void feed(compressed, gunzip, release).catch((e: unknown) => {
    sourceError = e;
    gunzip.destroy(e as Error);
  });
  let completed = false;
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
    completed = true;
  } catch (e) {
    if (sourceError !== undefined) throw sourceError;
    throw new BadInputError(`invalid gzip data: ${errorMessage(e)}`);
  } finally {
    if (!completed) {
      // The feeder may be waiting on the input: destroying it ends the wait.
      abortInput();
      gunzip.destroy();
    }
  }
}

/**
 * Writes chunks into a writable with backpressure, then ends it. Stops quietly
 * if the writable is destroyed. A chunk is released once its write has
 * completed: zlib has inflated all of it, a pipe has taken it.
 */
async function feed(
  chunks: AsyncIterable<Buffer>,
  sink: NodeJS.WritableStream & { destroyed: boolean; writableNeedDrain: boolean },
  release: DecompressOptions['release'],
): Promise<void> {
  for await (const chunk of chunks) {
    if (sink.destroyed) return;
    const written =
      release &&
      ((e?: Error | null): void => {
        if (!e) release(chunk);
      });
    if (!sink.write(chunk, written)) await waitDrain(sink);
  }
  if (!sink.destroyed) sink.end();
}

async function zstdChunks(compressed: AsyncGenerator<Buffer>, abortInput: () => void, release: DecompressOptions['release']): Promise<AsyncGenerator<Buffer>> {
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (e) {
    abortInput();
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingProgramError('zstd', 'zstd');
    throw e;
  }
  return zstdOutput(child, compressed, abortInput, release);
}

async function* zstdOutput(child: ChildProcess, compressed: AsyncGenerator<Buffer>, abortInput: () => void, release: DecompressOptions['release']): AsyncGenerator<Buffer> {
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  stdin.on('error', () => undefined); // EPIPE when zstd stops early on bad data; its exit status tells why
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let sourceError: unknown;
  const feeding = feed(compressed, stdin, release).catch((e: unknown) => {
    sourceError = e;
    child.kill();
  });
  let finished = false;
  try {
    for await (const chunk of stdout) yield chunk as Buffer;
    const code = await exited;
    if (code === 0) await feeding;
    if (sourceError !== undefined) throw sourceError;
    if (code !== 0) {
      const detail = Buffer.concat(stderr).toString('utf8').trim().split('\n').pop() ?? '';
      throw new BadInputError(`invalid zstd data: ${detail.replace(/^zstd: /, '') || `zstd exited with status ${code}`}`);
    }
    finished = true;
  } finally {
    if (!finished) {
      child.kill();
      stdin.destroy();
      abortInput();
    }
  }
}
