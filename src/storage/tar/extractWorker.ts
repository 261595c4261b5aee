/**
 * Worker thread entry (dist/extract-worker.cjs): decompresses layer blobs and
 * applies them into staging dirs, several at once, off the main thread. Each
 * blob's bytes arrive as messages and are acknowledged once its tar reader
 * wants more, so the sender never gets more than a few MiB ahead.
 */
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { postError, type PostedError } from '../../util/errors.js';
import { applyLayerTar, type ApplyLayerOptions } from './apply.js';
import { decompressStream } from './decompress.js';

export type ToWorker = { job: number } & ({ start: ApplyLayerOptions } | { chunk: ArrayBuffer } | { end: true } | { abort: true });
export type FromWorker = { job: number } & (
  | { ack: number }
  | { result: { diffId: string; tarSize: number; contentSize: number } }
  | { error: PostedError }
);

const port = parentPort!;
const send = (m: FromWorker): void => port.postMessage(m);

interface Job {
  input: Readable;
  owed: number;
}
const jobs = new Map<number, Job>();

function start(id: number, options: ApplyLayerOptions): void {
  const job: Job = {
    owed: 0,
    // Object mode: each chunk is read as it came, never joined with the next (a copy).
    input: new Readable({
      objectMode: true,
      highWaterMark: 4,
      read() {
        if (job.owed > 0) send({ job: id, ack: job.owed });
        job.owed = 0;
      },
    }),
  };
  jobs.set(id, job);
  (async () => {
    const { stream } = await decompressStream(job.input);
    const result = await applyLayerTar(stream, options);
    send({ job: id, result: { diffId: result.diffId, tarSize: result.tarSize, contentSize: result.contentSize } });
  })()
    .catch((e: unknown) => {
      send({ job: id, error: postError(e) });
    })
    .finally(() => jobs.delete(id));
}

port.on('message', (m: ToWorker) => {
  if ('start' in m) return start(m.job, m.start);
  const job = jobs.get(m.job);
  if (!job) return;
  if ('chunk' in m) {
    if (job.input.push(Buffer.from(m.chunk))) send({ job: m.job, ack: m.chunk.byteLength });
    else job.owed += m.chunk.byteLength;
  } else if ('end' in m) {
    job.input.push(null);
  } else {
    job.input.destroy(new Error('aborted'));
  }
});
