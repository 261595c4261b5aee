import { createHash, type Hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StagedLayer } from '../../storage/store.js';
import { errorMessage } from '../../util/errors.js';
import { trace } from '../../util/trace.js';
import type { Descriptor } from '../oci.js';
import type { ChunkFlow, LayerExtractor } from './layerExtractor.js';
import { httpFailure, PullError, type RepoAccess } from './pullManifest.js';

/** Downloads at once, as containers/image's default. */
export const LAYER_CONCURRENCY = 6;

export interface LayerJob {
  /** Position in the manifest; the result is keyed by it (a blob may repeat). */
  index: number;
  desc: Descriptor;
  /** What the config's rootfs.diff_ids says this layer's uncompressed digest is. */
  diffId: string;
}

/**
 * Downloads layers a few at a time, each verified against its digest and size
 * while it streams into a staging dir. On the first failure the others are
 * aborted and every staging dir is removed before the error is thrown, so
 * nothing half-written stays behind.
 */
export async function fetchLayers(
  access: RepoAccess,
  extractor: LayerExtractor,
  jobs: LayerJob[],
  onDone: (job: LayerJob) => void,
  onBytes?: (job: LayerJob, done: number) => void,
): Promise<Map<number, StagedLayer>> {
  const staged = new Map<number, StagedLayer>();
  const inFlight = new Set<Readable>();
  let failure: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < jobs.length) {
      const job = jobs[next++]!;
      try {
        const layer = await fetchLayer(access, extractor, job, inFlight, () => failure !== undefined, onBytes && ((done) => onBytes(job, done)));
        if (failure !== undefined) {
          rmSync(layer.dir, { recursive: true, force: true });
          return;
        }
        staged.set(job.index, layer);
        trace(`layer ${job.index} fetched`);
        onDone(job);
      } catch (e) {
        if (failure === undefined) {
          failure = e;
          for (const body of inFlight) body.destroy();
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LAYER_CONCURRENCY, jobs.length) }, worker));
  if (failure !== undefined) {
    // No extraction may still be writing while the staging dirs are removed.
    extractor.close();
    for (const layer of staged.values()) rmSync(layer.dir, { recursive: true, force: true });
    throw failure;
  }
  return staged;
}

async function fetchLayer(
  access: RepoAccess,
  extractor: LayerExtractor,
  job: LayerJob,
  inFlight: Set<Readable>,
  aborted: () => boolean,
  onBytes: ((done: number) => void) | undefined,
): Promise<StagedLayer> {
  const { desc } = job;
  const doing = `copying blob ${desc.digest}`;
  const res = await access.client.request('GET', `/v2/${access.repo}/blobs/${desc.digest}`, { scope: access.scope, follow: true });
  // Bodies are destroyed when another layer fails; the reader sees that, nobody else must.
  res.body.on('error', () => undefined);
  if (res.status !== 200) throw await httpFailure(access, res, doing, `blob unknown to ${access.where}: the registry lost it; push the image again`);
  if (aborted()) {
    res.body.destroy();
    throw new PullError(`${doing}: aborted`);
  }
  inFlight.add(res.body);
  const blob = new VerifiedBlob(res.body, desc, onBytes);
  try {
    let layer: StagedLayer;
    try {
      layer = await extractor.extract(blob);
    } catch (e) {
      if (aborted()) throw e;
      // A corrupt blob usually fails to decompress before its digest can be
      // checked: read the rest to tell corruption from other failures.
      await blob.drain();
      blob.verify(doing);
      throw new PullError(`${doing}: ${errorMessage(e)}`);
    }
    try {
      blob.verify(doing);
      if (layer.diffId !== job.diffId) {
        throw new PullError(`${doing}: its content has digest ${layer.diffId} but the image config expects ${job.diffId}: the image is corrupt`);
      }
    } catch (e) {
      rmSync(layer.dir, { recursive: true, force: true });
      throw e;
    }
    return { ...layer, compressedDigest: desc.digest };
  } finally {
    inFlight.delete(res.body);
  }
}

/**
 * A blob body hashed as it flows. After a failed extraction the rest can
 * still be read (drain) and the digest checked.
 */
class VerifiedBlob implements ChunkFlow {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private ended = false;
  private overflow: PullError | undefined;
  private take: (chunk: Buffer) => void = () => undefined;
  private flowing = false;
  private readonly finished: Promise<void>;

  constructor(
    private readonly body: Readable,
    private readonly desc: Descriptor,
    private readonly onBytes?: (done: number) => void,
  ) {
    this.finished = new Promise<void>((resolve, reject) => {
      body.once('end', () => {
        this.ended = true;
        resolve();
      });
      body.once('error', reject);
      body.once('close', () => reject(this.overflow ?? new PullError(`copying blob ${desc.digest}: the download was cut short`)));
    });
    this.finished.catch(() => undefined);
  }

  start(take: (chunk: Buffer) => void): Promise<void> {
    this.take = take;
    this.flow();
    return this.finished;
  }

  pause(): void {
    this.body.pause();
  }

  resume(): void {
    this.body.resume();
  }

  private flow(): void {
    if (this.flowing) return;
    this.flowing = true;
    this.body.on('data', (chunk: Buffer) => {
      if (this.overflow) return;
      this.size += chunk.length;
      if (this.size > this.desc.size) {
        this.overflow = new PullError(`copying blob ${this.desc.digest}: the registry sent more than its ${this.desc.size} bytes: it does not match the manifest; push the image again`);
        this.body.destroy();
        return;
      }
      this.hash.update(chunk);
      this.onBytes?.(this.size);
      this.take(chunk);
    });
  }

  /** Reads the rest, for verify(). */
  async drain(): Promise<void> {
    this.take = () => undefined;
    this.flow();
    this.body.resume();
    try {
      await this.finished;
    } catch {
      // verify() reports what is wrong
    }
  }

  verify(doing: string): void {
    if (this.overflow) throw this.overflow;
    if (!this.ended) throw new PullError(`${doing}: the download was cut short`);
    if (this.size < this.desc.size) throw new PullError(`${doing}: the download ended after ${this.size} of ${this.desc.size} bytes: try again`);
    const digest = `sha256:${this.hash.digest('hex')}`;
    if (digest !== this.desc.digest) {
      throw new PullError(`${doing}: the content has digest ${digest}, not the one the manifest names: the registry serves a corrupt blob; try again or push the image again`);
    }
  }
}
