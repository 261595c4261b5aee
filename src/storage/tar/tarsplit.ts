/**
 * tar-split: enough of a layer tar to rebuild it byte-for-byte from the
 * extracted files. The file is a gzip stream of records:
 *
 *   magic "TSPLIT01"
 *   0x01 varint(n) <n raw bytes>              headers, padding, trailer, skipped content
 *   0x02 varint(size) varint(n) <n-byte path> `size` bytes of content read from <layerDir>/<path>
 *   0x00                                      end (a file without it is truncated)
 *
 * Paths are the resolved, symlink-free paths the extractor wrote (relative to
 * the layer root). File records are numbered from 0 in order ("ordinals").
 */
import { closeSync, constants, createReadStream, createWriteStream, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { TspodError } from '../../util/errors.js';

const MAGIC = Buffer.from('TSPLIT01', 'latin1');
const TAG_END = 0x00;
const TAG_RAW = 0x01;
const TAG_FILE = 0x02;
/** Consecutive raw bytes are merged into one record up to this size. */
const RAW_RECORD_LIMIT = 64 << 10;
/** Uncompressed bytes handed to zlib per write. */
const GZIP_BATCH = 256 << 10;
/** Bytes per chunk of a replayed tar: every chunk but the last is exactly this long. */
export const REPLAY_CHUNK = 1 << 20;
const MAX_VARINT_BYTES = 8;

export type TarSplitRecord = { kind: 'raw'; bytes: Buffer } | { kind: 'file'; path: string; size: number };

/** Writes a tar-split file while a layer is being extracted. */
export class TarSplitWriter {
  private readonly gzip: Gzip;
  private readonly written: Promise<void>;
  /** Records are encoded straight into this buffer, handed to zlib when full. */
  private batch = Buffer.allocUnsafe(GZIP_BATCH);
  private batchFill = 0;
  private pendingRaw: Buffer[] = [];
  private pendingRawSize = 0;
  private fileCount = 0;

  constructor(readonly path: string) {
    this.gzip = createGzip({ level: 1 });
    // Opened here, not in the thread pool: an open still pending when an error makes the
    // caller remove the staging dir could create the file after that removal.
    this.written = pipeline(this.gzip, createWriteStream(path, { fd: openSync(path, 'w', 0o600) }));
    this.written.catch(() => undefined); // reported by drain() / finish()
    this.append(MAGIC);
  }

  /** Raw bytes to copy verbatim. The buffer is kept until flushed: never reuse it. */
  raw(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pendingRaw.push(bytes);
    this.pendingRawSize += bytes.length;
    if (this.pendingRawSize >= RAW_RECORD_LIMIT) this.flushRaw();
  }

  /** Content stored in the layer at `path`; returns the record's ordinal. */
  file(path: string, size: number): number {
    this.flushRaw();
    const pathLength = Buffer.byteLength(path, 'utf8');
    this.reserve(1 + 2 * MAX_VARINT_BYTES + pathLength);
    this.batch[this.batchFill++] = TAG_FILE;
    this.writeVarint(size);
    this.writeVarint(pathLength);
    this.batchFill += this.batch.write(path, this.batchFill, 'utf8');
    return this.fileCount++;
  }

  /** True when zlib has a backlog: await drain() before producing more. */
  get needsDrain(): boolean {
    return this.gzip.writableNeedDrain;
  }

  async drain(): Promise<void> {
    if (!this.gzip.writableNeedDrain) return;
    await Promise.race([once(this.gzip, 'drain'), this.written]);
  }

  async finish(): Promise<void> {
    this.flushRaw();
    this.append(Buffer.from([TAG_END]));
    this.flushBatch(0);
    this.gzip.end();
    await this.written;
  }

  /** Abandons the file (after an error); the caller removes it. */
  destroy(): void {
    this.gzip.destroy();
  }

  private flushRaw(): void {
    if (this.pendingRawSize === 0) return;
    this.reserve(1 + MAX_VARINT_BYTES);
    this.batch[this.batchFill++] = TAG_RAW;
    this.writeVarint(this.pendingRawSize);
    for (const bytes of this.pendingRaw) this.append(bytes);
    this.pendingRaw = [];
    this.pendingRawSize = 0;
  }

  private append(bytes: Buffer): void {
    let pos = 0;
    while (pos < bytes.length) {
      if (this.batchFill === this.batch.length) this.flushBatch(0);
      const n = bytes.copy(this.batch, this.batchFill, pos);
      this.batchFill += n;
      pos += n;
    }
  }

  private writeVarint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.batch[this.batchFill++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.batch[this.batchFill++] = rest;
  }

  /** Makes room for `bytes` contiguous bytes in the batch. */
  private reserve(bytes: number): void {
    if (this.batch.length - this.batchFill < bytes) this.flushBatch(bytes);
  }

  private flushBatch(minimumNext: number): void {
    if (this.batchFill > 0) this.gzip.write(this.batch.subarray(0, this.batchFill));
    this.batch = Buffer.allocUnsafe(Math.max(GZIP_BATCH, minimumNext));
    this.batchFill = 0;
  }
}

/** The records of a tar-split file, in order. Raw bytes are views: copy them if kept. */
export async function* readTarSplit(tarSplitPath: string): AsyncGenerator<TarSplitRecord> {
  const gunzip = createGunzip({ chunkSize: 256 << 10 });
  const source = createReadStream(tarSplitPath);
  pipeline(source, gunzip).catch(() => undefined); // errors surface through the iteration
  const decoder = new RecordDecoder(tarSplitPath);
  try {
    for await (const chunk of gunzip) {
      decoder.push(chunk as Buffer);
      yield* decoder.records();
    }
  } catch (e) {
    if (isZlibError(e)) throw corrupt(tarSplitPath, (e as Error).message);
    throw e;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  decoder.finish();
}

/** Regenerates the original layer tar from a tar-split file and the extracted layer. */
export function replayTarSplit(layerDir: string, tarSplitPath: string): Readable {
  return Readable.from(replayTarSplitChunks(layerDir, tarSplitPath), { objectMode: false, highWaterMark: REPLAY_CHUNK });
}

/**
 * Chunks to fill, handed back by whoever is done with their bytes. File reads
 * into memory the process has touched before cost a fifth of reads into fresh
 * pages (measured on a 100 MiB replay: 20 ms against 80 ms).
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  constructor(readonly size: number = REPLAY_CHUNK) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** `chunk` (or a view of its start) will not be read again. */
  give(chunk: Buffer): void {
    if (chunk.byteOffset === 0 && chunk.buffer.byteLength === this.size) this.free.push(Buffer.from(chunk.buffer, 0, this.size));
  }
}

/**
 * The replayed tar in chunks of REPLAY_CHUNK bytes (the last may be
 * shorter). With a pool, chunks are taken from it and the caller gives each
 * back once done with it; without one, every chunk is a buffer of its own.
 */
export async function* replayTarSplitChunks(layerDir: string, tarSplitPath: string, pool?: ChunkPool): AsyncGenerator<Buffer> {
  const output = new ChunkFiller(REPLAY_CHUNK, pool ? () => pool.take() : () => Buffer.allocUnsafe(REPLAY_CHUNK));
  for await (const record of readTarSplit(tarSplitPath)) {
    if (record.kind === 'raw') yield* output.append(record.bytes);
    else yield* output.appendFile(`${layerDir}/${record.path}`, record.size);
  }
  const last = output.takeRest();
  if (last) yield last;
}

/**
 * Rewrites a tar-split file so the given file records (by ordinal) become raw
 * records holding the content saved at the mapped paths. Used when a layer tar
 * overwrites or deletes a file it wrote earlier, whose bytes the layer dir no
 * longer holds at that path.
 */
export async function inlineTarSplitContent(tarSplitPath: string, savedContent: ReadonlyMap<number, string>): Promise<void> {
  const tmpPath = `${tarSplitPath}.rewrite`;
  const writer = new TarSplitWriter(tmpPath);
  try {
    let ordinal = 0;
    for await (const record of readTarSplit(tarSplitPath)) {
      if (record.kind === 'raw') {
        writer.raw(Buffer.from(record.bytes));
      } else {
        const saved = savedContent.get(ordinal++);
        if (saved === undefined) writer.file(record.path, record.size);
        else for (const chunk of readFileChunks(saved, record.size)) writer.raw(chunk);
      }
      if (writer.needsDrain) await writer.drain();
    }
    await writer.finish();
    renameSync(tmpPath, tarSplitPath);
  } catch (e) {
    writer.destroy();
    rmSync(tmpPath, { force: true });
    throw e;
  }
}

// ------------------------------------------------------------------ helpers

function* readFileChunks(path: string, size: number): Generator<Buffer> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let left = size;
    while (left > 0) {
      const chunk = Buffer.allocUnsafe(Math.min(left, REPLAY_CHUNK));
      readFully(fd, chunk, 0, chunk.length, path);
      left -= chunk.length;
      yield chunk;
    }
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer, offset: number, length: number, path: string): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, null);
    if (n === 0) throw new TspodError(`layer file ${path} is shorter than recorded in its tar-split: the layer was modified`);
    done += n;
  }
}

/** Fills fixed-size output chunks from raw bytes and file contents, with few copies. */
class ChunkFiller {
  private buf: Buffer;
  private fill = 0;

  constructor(
    private readonly size: number,
    private readonly allocate: () => Buffer,
  ) {
    this.buf = allocate();
  }

  *append(bytes: Buffer): Generator<Buffer> {
    let pos = 0;
    while (pos < bytes.length) {
      const n = Math.min(this.size - this.fill, bytes.length - pos);
      bytes.copy(this.buf, this.fill, pos, pos + n);
      this.fill += n;
      pos += n;
      if (this.fill === this.size) yield this.swap();
    }
  }

  *appendFile(path: string, size: number): Generator<Buffer> {
    if (size === 0) return;
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      let left = size;
      while (left > 0) {
        const n = Math.min(this.size - this.fill, left);
        readFully(fd, this.buf, this.fill, n, path);
        this.fill += n;
        left -= n;
        if (this.fill === this.size) yield this.swap();
      }
    } finally {
      closeSync(fd);
    }
  }

  takeRest(): Buffer | undefined {
    if (this.fill === 0) return undefined;
    const rest = this.buf.subarray(0, this.fill);
    this.fill = 0;
    return rest;
  }

  private swap(): Buffer {
    const full = this.buf;
    this.buf = this.allocate();
    this.fill = 0;
    return full;
  }
}

/** Incremental record decoder over decompressed chunks. */
class RecordDecoder {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Bytes needed before another record can be decoded. */
  private required = MAGIC.length;
  private sawMagic = false;
  private ended = false;

  constructor(private readonly path: string) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  *records(): Generator<TarSplitRecord> {
    if (this.total < this.required) return;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    let pos = 0;
    if (!this.sawMagic) {
      if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt(this.path, 'not a tar-split file');
      this.sawMagic = true;
      pos = MAGIC.length;
    }
    for (;;) {
      if (this.ended) {
        if (pos < buf.length) throw corrupt(this.path, 'data after the end record');
        break;
      }
      const decoded = this.decodeRecord(buf, pos);
      if (typeof decoded === 'number') {
        this.required = decoded;
        break;
      }
      pos = decoded.end;
      if (decoded.record) yield decoded.record;
    }
    const rest = buf.subarray(pos);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.total = rest.length;
    if (this.required <= this.total) this.required = this.total + 1;
  }

  finish(): void {
    if (!this.ended) throw corrupt(this.path, 'the file is truncated');
  }

  /** A record and where it ends, or how many bytes from `pos` are needed first. */
  private decodeRecord(buf: Buffer, pos: number): { record?: TarSplitRecord; end: number } | number {
    const available = buf.length - pos;
    if (available === 0) return 1;
    const tag = buf[pos]!;
    if (tag === TAG_END) {
      this.ended = true;
      return { end: pos + 1 };
    }
    const first = decodeVarint(buf, pos + 1);
    if (!first) return available + 1;
    if (tag === TAG_RAW) {
      const end = first.end + first.value;
      if (end > buf.length) return end - pos;
      return { record: { kind: 'raw', bytes: buf.subarray(first.end, end) }, end };
    }
    if (tag !== TAG_FILE) throw corrupt(this.path, `unknown record type ${tag}`);
    const pathLength = decodeVarint(buf, first.end);
    if (!pathLength) return available + 1;
    const end = pathLength.end + pathLength.value;
    if (end > buf.length) return end - pos;
    const path = buf.toString('utf8', pathLength.end, end);
    if (!isSafeRelativePath(path)) throw corrupt(this.path, `unsafe path ${JSON.stringify(path)}`);
    return { record: { kind: 'file', path, size: first.value }, end };
  }
}

function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\0')) return false;
  return !path.split('/').some((part) => part === '' || part === '.' || part === '..');
}

function decodeVarint(buf: Buffer, pos: number): { value: number; end: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 8; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, end: i + 1 };
    scale *= 0x80;
  }
  if (buf.length >= pos + 8) throw new TspodError('corrupt tar-split file: varint too long');
  return undefined;
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function corrupt(path: string, detail: string): TspodError {
  return new TspodError(`corrupt tar-split file ${path}: ${detail}`);
}
