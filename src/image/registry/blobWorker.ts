/**
 * Worker thread entry (dist/blob-worker.cjs): makes the layer blobs of a push
 * (tar replay, compression, both digests) off the main thread, several at
 * once. Each blob's bytes go to the main thread as transferred messages; a
 * blob runs at most a few MiB ahead of what the main thread has written.
 */
import { Writable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { postError, type PostedError } from '../../util/errors.js';
import { encodeLayer, type LayerBlobJob, type PushedBlob } from './layerBlob.js';

export type ToBlobWorker = { job: number } & ({ start: LayerBlobJob } | { ack: number } | { abort: true });
export type FromBlobWorker = { job: number } & (
  | { chunk: ArrayBuffer; uncompressed: number }
  | { result: PushedBlob }
  | { error: PostedError }
);

/** Bytes a blob may have sent that the main thread has not written yet. */
export const BLOB_AHEAD_BYTES = 4 << 20;

const port = parentPort!;
const send = (m: FromBlobWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

interface Job {
  sink: Writable;
  ahead: number;
  uncompressed: number;
  /** A write waiting for acknowledgements. */
  blocked?: () => void;
}
const jobs = new Map<number, Job>();

function start(id: number, blob: LayerBlobJob): void {
  const job: Job = {
    ahead: 0,
    uncompressed: 0,
    sink: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        // A buffer that owns its memory moves to the main thread as it is; a view is copied first.
        const owned = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
        const data = (owned ? chunk.buffer : new Uint8Array(chunk).buffer) as ArrayBuffer;
        job.ahead += data.byteLength;
        send({ job: id, chunk: data, uncompressed: job.uncompressed }, [data]);
        if (job.ahead <= BLOB_AHEAD_BYTES) callback();
        else job.blocked = () => callback();
      },
    }),
  };
  jobs.set(id, job);
  // The main thread hashes the compressed bytes as it receives them: the two threads then share the hashing.
  encodeLayer(blob, job.sink, (n) => (job.uncompressed = n), { sinkHashes: true })
    .then((result) => send({ job: id, result }))
    .catch((e: unknown) => send({ job: id, error: postError(e) }))
    .finally(() => jobs.delete(id));
}

port.on('message', (m: ToBlobWorker) => {
  if ('start' in m) return start(m.job, m.start);
  const job = jobs.get(m.job);
  if (!job) return;
  if ('ack' in m) {
    job.ahead -= m.ack;
    if (job.ahead <= BLOB_AHEAD_BYTES && job.blocked) {
      const resume = job.blocked;
      job.blocked = undefined;
      resume();
    }
  } else {
    job.sink.destroy(new Error('aborted'));
  }
});
