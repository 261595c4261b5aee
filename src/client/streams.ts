/**
 * The client's end of attach, exec and logs: Docker's multiplexed frames
 * (stream byte, three zeros, big-endian length) split back into stdout and
 * stderr, stdin sent up a hijacked connection, terminal sizes sent as resize
 * requests.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

/** Calls `onFrame` per frame; stream 3 is the service's error message. */
export function demux(source: Readable, onFrame: (stream: number, payload: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending: Buffer = Buffer.alloc(0);
    source.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        onFrame(pending[0]!, pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
    });
    source.once('end', () => resolve());
    source.once('close', () => resolve());
    source.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
  });
}

/**
 * Runs a hijacked session: output to the streams (framed unless tty), stdin
 * up the socket (its end half-closes the socket); resolves when the service
 * ends the connection, with the error messages it sent on stream 3.
 */
export async function pumpSession(
  socket: Duplex,
  streams: { stdin?: Readable; stdout: Writable; stderr: Writable },
  tty: boolean,
): Promise<{ errors: string[] }> {
  const errors: string[] = [];
  let stdinDone = false;
  const onData = (chunk: Buffer) => {
    if (!socket.destroyed) socket.write(chunk);
  };
  const onEnd = () => {
    stdinDone = true;
    if (!socket.destroyed) socket.end();
  };
  if (streams.stdin) {
    streams.stdin.on('data', onData);
    streams.stdin.once('end', onEnd);
    streams.stdin.resume();
  }
  try {
    if (tty) {
      await new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => streams.stdout.write(chunk));
        socket.once('end', () => resolve());
        socket.once('close', () => resolve());
        socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
      });
    } else {
      await demux(socket, (stream, payload) => {
        if (stream === 2) streams.stderr.write(payload);
        else if (stream === 3) errors.push(payload.toString('utf8').trim());
        else streams.stdout.write(payload);
      });
    }
  } finally {
    if (streams.stdin) {
      streams.stdin.off('data', onData);
      streams.stdin.off('end', onEnd);
      if (!stdinDone) streams.stdin.pause();
    }
    socket.destroy();
  }
  await Promise.all([drained(streams.stdout), drained(streams.stderr)]);
  return { errors };
}

function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}
