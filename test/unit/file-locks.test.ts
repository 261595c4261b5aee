import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireFileLock, fileLockHeldHere, withFileLock } from '../../src/os/fileLocks.js';

test('two tasks of one process take the lock in turn, in the order they asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tspod-locks-'));
  try {
    const path = join(dir, 'x.lock');
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = withFileLock(path, async () => {
      order.push('first in');
      await firstHeld;
      order.push('first out');
    });
    const second = withFileLock(path, async () => {
      order.push('second in');
    });
    // The second task is queued, not blocking: this task still runs.
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(order, ['first in']);
    assert.equal(fileLockHeldHere(path), true);
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'first out', 'second in']);
    assert.equal(fileLockHeldHere(path), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('waiting for another process holding the lock does not block the event loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tspod-locks-'));
  try {
    const path = join(dir, 'y.lock');
    // flock(1) holds the lock until its child reads a line.
    const holder = spawn('flock', [path, 'sh', '-c', 'echo held; read line'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    let acquired = false;
    const waiting = acquireFileLock(path).then((release) => {
      acquired = true;
      return release;
    });
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        ticks += 1;
        if (ticks === 5) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    assert.equal(acquired, false, 'the lock is still held by the other process');
    holder.stdin.end('go\n');
    const release = await waiting;
    assert.equal(acquired, true);
    release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
