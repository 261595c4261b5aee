import { Worker } from 'node:worker_threads';
import { TspodError } from './errors.js';

/**
 * A worker thread running numbered jobs: messages from it carry their job's
 * number and go to that job's pending entry; if the thread fails or exits,
 * every pending job fails and so does every later one.
 */
export class WorkerJobs<Message extends { job: number }, Pending extends { reject: (e: Error) => void }> {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  private nextJob = 1;
  private dead: Error | undefined;

  /** `what` names the work for the error when the thread stops: "layer extraction". */
  constructor(script: string, workerData: unknown, what: string, receive: (m: Message, pending: Pending) => void) {
    this.worker = new Worker(script, { workerData });
    this.worker.unref();
    this.worker.on('message', (m: Message) => {
      const p = this.pending.get(m.job);
      if (p) receive(m, p);
    });
    const fail = (e: Error): void => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new TspodError(`${what} stopped unexpectedly (worker exit status ${code})`)));
  }

  /** A number for a new job; throws once the thread has failed. */
  newJob(): number {
    if (this.dead) throw this.dead;
    return this.nextJob++;
  }
}
