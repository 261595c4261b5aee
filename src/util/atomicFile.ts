import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { undoOnInterrupt } from './interrupt.js';

/**
 * An output file written beside the destination and renamed at the end, so a
 * failed or interrupted write leaves no half file. A destination that exists
 * and is no regular file (/dev/null, a fifo) is written in place: renaming
 * over it would replace the device.
 */
export function atomicFile(path: string): { stream: Writable; commit: () => Promise<void>; abort: () => void } {
  let special = false;
  try {
    special = !statSync(path).isFile();
  } catch {
    // absent: a new file
  }
  if (special) {
    const stream = createWriteStream(path);
    return {
      stream,
      commit: async () => {
        if (!stream.writableEnded) stream.end();
        await finished(stream);
      },
      abort: () => stream.destroy(),
    };
  }
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const stream = createWriteStream(tmp, { mode: 0o644 });
  const forget = undoOnInterrupt(() => rmSync(tmp, { force: true }));
  return {
    stream,
    commit: async () => {
      if (!stream.writableEnded) stream.end();
      await finished(stream);
      renameSync(tmp, path);
      forget();
    },
    abort: () => {
      stream.destroy();
      rmSync(tmp, { force: true });
      forget();
    },
  };
}
