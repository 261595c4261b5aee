/**
 * Exclusive locks on files that hold both between processes (flock) and
 * between the async tasks of one process. flock alone is not enough in a
 * long-lived process such as `system service`: two requests in one process
 * use two open files, so the second flock would block the event loop while
 * the first holder waits on it, and neither could finish. Here a second task
 * of the same process queues behind the first, and waiting for another
 * process never blocks the event loop.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOCK, syscalls } from './syscalls.js';

const queues = new Map<string, Promise<void>>();

/** Waits (without blocking other tasks) for the lock on `path`; call the result to release it. */
export async function acquireFileLock(path: string): Promise<() => void> {
  const previous = queues.get(path);
  let releaseQueue!: () => void;
  const mine = new Promise<void>((resolve) => (releaseQueue = resolve));
  const tail = (previous ?? Promise.resolve()).then(() => mine);
  queues.set(path, tail);
  if (previous) await previous;
  let fd: number;
  try {
    fd = await flockPolling(path);
  } catch (err) {
    finish();
    throw err;
  }
  function finish() {
    releaseQueue();
    if (queues.get(path) === tail) queues.delete(path);
  }
  return () => {
    closeSync(fd);
    finish();
  };
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireFileLock(path);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Whether a task of this process holds (or waits for) the lock on `path`. */
export function fileLockHeldHere(path: string): boolean {
  return queues.has(path);
}

/** Blocking acquisition for synchronous callers; only for paths no task of this process holds. */
export function acquireFileLockSync(path: string): () => void {
  const fd = openLockFile(path);
  try {
    syscalls().flock(fd, LOCK.EX);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return () => closeSync(fd);
}

function openLockFile(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a');
}

async function flockPolling(path: string): Promise<number> {
  const fd = openLockFile(path);
  let delay = 2;
  for (;;) {
    try {
      syscalls().flock(fd, LOCK.EX | LOCK.NB);
      return fd;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EWOULDBLOCK' && (err as { code?: string }).code !== 'EAGAIN') {
        closeSync(fd);
        throw err;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
}
