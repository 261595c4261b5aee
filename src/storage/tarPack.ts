import { closeSync, constants, openSync, readSync } from 'node:fs';
import type tarStream from 'tar-stream';

export type TarHeader = Partial<tarStream.Header> & { name: string };

/** Adds a regular file's entry, its bytes read without following a symlink put in its place. */
export async function fileEntry(pack: tarStream.Pack, header: TarHeader, host: string): Promise<void> {
  const fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW);
  let done!: () => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const sink = pack.entry(header, (err) => (err ? failed(err) : done()));
  try {
    const buf = Buffer.allocUnsafe(1 << 16);
    let left = header.size ?? 0;
    while (left > 0) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n === 0) break;
      left -= n;
      if (!sink.write(Buffer.from(buf.subarray(0, n)))) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
    }
    // A file that shrank while packed: pad, as the header already promised its size.
    if (left > 0) sink.write(Buffer.alloc(left));
    sink.end(undefined);
  } finally {
    closeSync(fd);
  }
  await finished;
}

export function addEntry(pack: tarStream.Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    // A file entry without a body waits for its sink to end: give it its (empty) body.
    if (header.type === 'file' || header.type === undefined) pack.entry(header, Buffer.alloc(0), done);
    else pack.entry(header, done);
  });
}

