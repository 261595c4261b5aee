import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { TspodError, rebuildPostedError } from '../../util/errors.js';
import { WorkerJobs } from '../../util/workerJobs.js';
import type { FromBlobWorker, ToBlobWorker } from './blobWorker.js';
import type { LayerBlobJob, PushedBlob } from './layerBlob.js';

interface Pending {
  sink: Writable;
  /** The compressed blob's digest, computed here as its bytes arrive (the worker leaves it empty). */
  hash?: Hash;
  onBytes?: (uncompressed: number) => void;
  /** The worker is done: end the sink; the job resolves once the sink has finished. */
  complete: (blob: PushedBlob) => void;
  reject: (e: Error) => void;
}

/**
 * The main thread's side of the blob worker: it writes the bytes the worker
 * sends into each blob's sink and acknowledges them once written, so the
 * sink's backpressure (an upload's socket) paces the worker. The worker
 * replays, hashes and compresses; the main thread hashes what it uploads.
 */
class BlobWorker {
  private readonly jobs: WorkerJobs<FromBlobWorker, Pending>;

  constructor(script: string) {
    this.jobs = new WorkerJobs<FromBlobWorker, Pending>(script, 'layer compression', (m, p) => this.receive(m, p));
    // Idle until a job comes: a thread started but never given one must not hold the process open,
    // and the 'message' listener WorkerJobs attaches after its unref() refs the thread again.
    this.jobs.worker.unref();
  }

  encode(job: LayerBlobJob, sink: Writable, onBytes?: (uncompressed: number) => void): Promise<PushedBlob> {
    let id: number;
    try {
      id = this.jobs.newJob();
    } catch (e) {
      // The thread has failed: whoever reads the sink (an upload) must not wait for bytes that never come.
      sink.destroy(e as Error);
      return Promise.reject(e as Error);
    }
    const { worker, pending } = this.jobs;
    return new Promise<PushedBlob>((resolve, reject) => {
      let blob: PushedBlob | undefined;
      const settle = (): boolean => {
        if (!pending.delete(id)) return false;
        if (pending.size === 0) worker.unref();
        return true;
      };
      const fail = (e: Error): void => {
        if (!settle()) return;
        worker.postMessage({ job: id, abort: true } satisfies ToBlobWorker);
        sink.destroy();
        reject(e);
      };
      // The sink failing, or closed by its reader (an upload that failed), ends the job as a
      // pipeline would: nobody would take the rest, and the worker must not wait for acknowledgements.
      finished(sink, { readable: false }).then(() => {
        if (blob && settle()) resolve(blob);
        else fail(new TspodError('the destination of a layer blob was closed before the blob was written: push again'));
      }, fail);
      const hash = job.compression === 'none' ? undefined : createHash('sha256');
      pending.set(id, {
        sink,
        hash,
        onBytes,
        complete: (done) => {
          blob = hash ? { ...done, digest: `sha256:${hash.digest('hex')}` } : done;
          sink.end();
        },
        reject: fail,
      });
      // Alive while it has work: the main thread may be waiting on nothing but its messages.
      worker.ref();
      worker.postMessage({ job: id, start: job } satisfies ToBlobWorker);
    });
  }

  private receive(m: FromBlobWorker, p: Pending): void {
    if ('chunk' in m) {
      const size = m.chunk.byteLength;
      p.onBytes?.(m.uncompressed);
      const bytes = Buffer.from(m.chunk);
      p.hash?.update(bytes);
      p.sink.write(bytes, (err) => {
        if (!err) this.jobs.worker.postMessage({ job: m.job, ack: size } satisfies ToBlobWorker);
      });
    } else if ('result' in m) {
      p.complete(m.result);
    } else {
      p.reject(rebuildPostedError(m.error));
    }
  }
}

let shared: BlobWorker | undefined | null;

/** The process's blob worker, started on first use; none when running from sources (then blobs are made on this thread). */
export function blobWorker(): BlobWorker | undefined {
  if (shared === undefined) {
    const script = join(fileURLToPath(new URL('.', import.meta.url)), 'blob-worker.cjs');
    shared = existsSync(script) ? new BlobWorker(script) : null;
  }
  return shared ?? undefined;
}
