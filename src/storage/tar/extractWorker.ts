/**
 * Worker thread entry (dist/extract-worker.cjs): decompresses layer blobs and
 * applies them into staging dirs, several at once, off the main thread. Each
 * blob's bytes arrive as messages and are acknowledged once its tar reader
 * wants more, so the sender never gets more than a few MiB ahead. Their
 * memory goes back to the sender once the decompressor is done with it, to
 * be filled again: fresh memory costs a page fault for every 4 KiB touched
 * (~3.5 µs each on the VM measured).
 */
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { postError, type PostedError } from '../../util/errors.js';
import { applyLayerTar, type ApplyLayerOptions } from './apply.js';
import { decompressStream, gzipTrailerCrc32 } from './decompress.js';

export type ToWorker = { job: number } & ({ start: ApplyLayerOptions } | { chunk: ArrayBuffer } | { end: true } | { abort: true });
export type FromWorker = { job: number } & (
  | { ack: number }
  | { released: ArrayBuffer }
  | { result: { diffId: string; tarSize: number; tarCrc32: number | null; contentSize: number } }
  | { error: PostedError }
);

const port = parentPort!;
const send = (m: FromWorker): void => port.postMessage(m);

interface Job {
  input: Readable;
  owed: number;
  /** The blob's last bytes so far: a gzip blob's trailer at the end. */
  tail: Buffer;
  /** Memory received whole, to be given back once decompressed. */
  lent: WeakSet<ArrayBuffer>;
}

const TRAILER = 8;
const jobs = new Map<number, Job>();

function start(id: number, options: ApplyLayerOptions): void {
  const job: Job = {
    owed: 0,
    tail: Buffer.alloc(0),
    lent: new WeakSet(),
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
    const release = (chunk: Buffer): void => {
      const memory = chunk.buffer as ArrayBuffer;
      if (chunk.byteLength !== memory.byteLength || !job.lent.delete(memory)) return;
      port.postMessage({ job: id, released: memory } satisfies FromWorker, [memory]);
    };
    const { stream, compression } = await decompressStream(job.input, { release });
    // gunzip has checked the tar's CRC-32 against the blob's trailer already: the trailer gives it for free.
    const result = await applyLayerTar(stream, { ...options, crc32: compression !== 'gzip' });
    const tarCrc32 = compression === 'gzip' ? gzipTrailerCrc32(job.tail, result.tarSize) : result.tarCrc32;
    send({ job: id, result: { diffId: result.diffId, tarSize: result.tarSize, tarCrc32, contentSize: result.contentSize } });
    // bin/launch-worker.cjs: this code has run once, its code cache may be written.
    (process as NodeJS.EventEmitter).emit('tspod:warm');
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
    const chunk = Buffer.from(m.chunk);
    job.lent.add(m.chunk);
    // A copy: the chunk's memory goes back to the sender.
    job.tail = Buffer.concat([job.tail, chunk.subarray(-TRAILER)]).subarray(-TRAILER);
    if (job.input.push(chunk)) send({ job: m.job, ack: m.chunk.byteLength });
    else job.owed += m.chunk.byteLength;
  } else if ('end' in m) {
    job.input.push(null);
  } else {
    job.input.destroy(new Error('aborted'));
  }
});
