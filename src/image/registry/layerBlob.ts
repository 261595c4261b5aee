import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { replayTarSplit } from '../../storage/tar/tarsplit.js';
import { BadInputError, MissingProgramError, TspodError } from '../../util/errors.js';
import { ParallelGzip } from './parallelGzip.js';

/**
 * A stored layer made into a blob: its tar replayed from the layer dir and
 * tar-split, compressed, both digests computed on the way. Runs on the blob
 * worker thread (blobWorker.ts) or, without one, on the calling thread; so
 * it knows paths, not the store.
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
  compression: LayerCompression;
}

/**
 * zlib's level 4: measured on layers of /usr binaries and docs, its blobs are
 * no bigger than those Podman 4.3 pushes (its default level: 39.3 % against
 * 39.6 % of the tar) and it costs half of zlib's default level 6 (38.1 %).
 */
export const PUSH_GZIP_LEVEL = 4;

/** Counts and (unless told not to) hashes what passes through. */
class Digester extends Transform {
  private readonly hash;
  size = 0;

  constructor(
    private readonly onBytes?: (size: number) => void,
    hashing = true,
  ) {
    super();
    this.hash = hashing ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash?.update(chunk);
    this.size += chunk.length;
    this.onBytes?.(this.size);
    callback(null, chunk);
  }

  /** The digest; empty when not hashing. */
  digest(): string {
    return this.hash ? `sha256:${this.hash.digest('hex')}` : '';
  }
}

/**
 * Writes the layer's blob into `sink`; the uncompressed stream is checked
 * against the diff id once it has all been written, so damaged storage is
 * never pushed as a valid image.
 */
export async function encodeLayer(
  job: LayerBlobJob,
  sink: Writable,
  onBytes?: (uncompressed: number) => void,
  opts: { sinkHashes?: boolean } = {},
): Promise<PushedBlob> {
  const { compression } = job;
  const uncompressed = new Digester(onBytes);
  // With sinkHashes, whoever reads the sink computes the compressed blob's digest (returned empty here).
  const compressed = new Digester(undefined, !opts.sinkHashes);
  const source = replayTarSplit(job.layerDir, job.tarSplitPath);
  if (compression === 'none') {
    await pipeline(source, uncompressed, sink);
  } else if (compression === 'gzip') {
    await pipeline(source, uncompressed, new ParallelGzip(PUSH_GZIP_LEVEL), compressed, sink);
  } else {
    await zstdCompress(source, uncompressed, compressed, sink);
  }
  const diffId = uncompressed.digest();
  if (diffId !== job.diffId) {
    throw new BadInputError(`layer ${job.layerId.slice(0, 12)} reads back as ${diffId}, not ${job.diffId}: storage is damaged, remove and pull the image again`);
  }
  if (compression === 'none') return { digest: diffId, size: uncompressed.size, compression };
  return { digest: compressed.digest(), size: compressed.size, compression };
}

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
