import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { ChunkPool, replayTarSplit, replayTarSplitChunks } from '../../storage/tar/tarsplit.js';
import { BadInputError, MissingProgramError, TspodError } from '../../util/errors.js';
import { crc32Combine } from '../../util/crc32.js';
import { gzipMembers } from './parallelGzip.js';

/**
 * A stored layer made into a blob: its tar replayed from the layer dir and
 * tar-split, compressed, and checked on the way. It knows paths, not the store.
 */

export type LayerCompression = 'none' | 'gzip' | 'zstd';

export interface PushedBlob {
  digest: string;
  size: number;
  compression: LayerCompression;
}

export interface LayerBlobJob {
  /** For messages only. */
  layerId: string;
  layerDir: string;
  tarSplitPath: string;
  diffId: string;
  /** The tar's size and CRC-32 as stored (the CRC is null for layers stored before tspod recorded it). */
  tarSize: number;
  tarCrc32: number | null;
  compression: LayerCompression;
}

/**
 * zlib's level 4: measured on layers of /usr binaries and docs, its blobs are
 * no bigger than those Podman 4.3 pushes (its default level: 39.3 % against
 * 39.6 % of the tar) and it costs half of zlib's default level 6 (38.1 %).
 */
export const PUSH_GZIP_LEVEL = 4;

/** Counts and hashes what passes through. */
class Digester extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly onBytes?: (size: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.onBytes?.(this.size);
    callback(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/**
 * Writes the layer's blob into `sink`; the uncompressed stream is checked
 * against the diff id (gzip: the stored CRC-32) once it has all been
 * written, so damaged storage is never pushed as a valid image.
 */
export async function encodeLayer(
  job: LayerBlobJob,
  sink: Writable,
  onBytes?: (uncompressed: number) => void,
): Promise<PushedBlob> {
  const { compression } = job;
  if (compression === 'gzip') return gzipLayer(job, sink, onBytes);
  const uncompressed = new Digester(onBytes);
  const compressed = new Digester();
  const source = replayTarSplit(job.layerDir, job.tarSplitPath);
  if (compression === 'none') await pipeline(source, uncompressed, sink);
  else await zstdCompress(source, uncompressed, compressed, sink);
  const diffId = uncompressed.digest();
  checkDiffId(job, diffId);
  if (compression === 'none') return { digest: diffId, size: uncompressed.size, compression };
  return { digest: compressed.digest(), size: compressed.size, compression };
}

function checkDiffId(job: LayerBlobJob, diffId: string): void {
  if (diffId !== job.diffId) {
    throw new BadInputError(`layer ${job.layerId.slice(0, 12)} reads back as ${diffId}, not ${job.diffId}: storage is damaged, remove and pull the image again`);
  }
}

/**
 * The gzip blob, as a loop rather than a chain of streams: the replayed
 * chunks come from a pool and go back to it once compressed, so a 100 MiB
 * layer reads into a few MiB of memory that is already paged in, and no
 * stream machinery runs per chunk. The tar is checked against the CRC-32
 * recorded when the layer was stored, put together from the members' own
 * CRCs (zlib computes them anyway), as containers/storage checks its files'
 * CRC-64s: a second SHA-256 of the tar cost a tenth of the push's CPU. A
 * layer stored without a CRC is checked against its diff id.
 */
async function gzipLayer(job: LayerBlobJob, sink: Writable, onBytes: ((uncompressed: number) => void) | undefined): Promise<PushedBlob> {
  const pool = new ChunkPool();
  const tarHash = job.tarCrc32 === null ? createHash('sha256') : undefined;
  const blobHash = createHash('sha256');
  let tarSize = 0;
  let tarCrc32 = 0;
  let blobSize = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of replayTarSplitChunks(job.layerDir, job.tarSplitPath, pool)) {
      tarHash?.update(chunk);
      tarSize += chunk.length;
      onBytes?.(tarSize);
      yield chunk;
    }
  }
  const closed = finished(sink, { readable: false });
  // Seen by `closed` when awaited; until then a failing sink must not count as unhandled.
  closed.catch(() => undefined);
  try {
    for await (const member of gzipMembers(counted(), PUSH_GZIP_LEVEL, (chunk) => pool.give(chunk))) {
      // Each member ends with the CRC-32 and the length of the bytes it holds.
      tarCrc32 = crc32Combine(tarCrc32, member.readUInt32LE(member.length - 8), member.readUInt32LE(member.length - 4));
      blobHash.update(member);
      blobSize += member.length;
      if (!sink.write(member)) await Promise.race([once(sink, 'drain'), closed]);
      if (sink.destroyed) break;
    }
    sink.end();
    await closed;
  } catch (e) {
    sink.destroy();
    throw e;
  }
  if (tarHash) {
    checkDiffId(job, `sha256:${tarHash.digest('hex')}`);
  } else if (tarCrc32 !== job.tarCrc32 || tarSize !== job.tarSize) {
    throw new BadInputError(
      `layer ${job.layerId.slice(0, 12)} reads back as ${tarSize} bytes with CRC-32 ${hex32(tarCrc32)}, not the ${job.tarSize} bytes with ${hex32(job.tarCrc32!)} it was stored with: storage is damaged, remove and pull the image again`,
    );
  }
  return { digest: `sha256:${blobHash.digest('hex')}`, size: blobSize, compression: 'gzip' };
}

const hex32 = (n: number): string => n.toString(16).padStart(8, '0');

async function zstdCompress(input: Readable, hasher: Digester, digester: Digester, sink: Writable): Promise<void> {
  // One thread and a fixed level: the same layer always gives the same blob, so a second push finds it.
  const child = spawn('zstd', ['-q', '-c', '-3'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (e) {
    input.destroy();
    sink.destroy();
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingProgramError('zstd', 'zstd');
    throw e;
  }
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await Promise.all([pipeline(input, hasher, child.stdin!), pipeline(child.stdout!, digester, sink)]);
  } catch (e) {
    child.kill();
    throw e;
  }
  const code = await exited;
  if (code !== 0) throw new TspodError(`zstd failed compressing a layer: ${Buffer.concat(stderr).toString().trim() || `exit status ${code}`}`);
}
