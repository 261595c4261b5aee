/**
 * The stream shapes Docker clients parse: the multiplexed stdout/stderr
 * framing of logs, attach and exec (an 8-byte header: stream, 0, 0, 0, then
 * the payload length as a big-endian uint32), newline-delimited JSON for
 * progress, events and stats, and the hijacked connection of attach and exec.
 */
import type { ServerResponse } from 'node:http';
import { Writable, type Duplex, type Readable } from 'node:stream';
import type { ApiContext } from './http.js';
import { waitDrain } from '../util/drain.js';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

/** One frame of Docker's multiplexed stream. */
export function frame(stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * Writes to `out` and calls back once it can take more. Once `out` is gone (the
 * client hung up) everything is dropped, so a producer that ignores
 * backpressure never piles output up for nobody.
 */
function writeOrDrop(out: NodeJS.WritableStream, data: Buffer, callback: () => void): void {
  const target = out as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
  if (target.destroyed || target.writableEnded) return callback();
  if (out.write(data)) return callback();
  void waitDrain(out).then(callback);
}

/** A Writable that frames everything written to it as `stream` before passing it to `out`. */
export function framedWriter(out: NodeJS.WritableStream, stream: typeof STDOUT | typeof STDERR): Writable {
  return quiet(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (chunk.length === 0) return callback();
        writeOrDrop(out, frame(stream, chunk), () => callback());
      },
    }),
  );
}

/** A late write (after the end) must not bring the long-lived service down: it is dropped. */
function quiet(writer: Writable): Writable {
  writer.on('error', () => {});
  return writer;
}

/** A Writable that passes bytes through unchanged (tty output is never framed) and never ends `out`. */
export function rawWriter(out: NodeJS.WritableStream): Writable {
  return quiet(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writeOrDrop(out, chunk, () => callback());
      },
    }),
  );
}

/** Ends writers made here and resolves when what they hold has reached their destination. */
export function flushWriters(...writers: Writable[]): Promise<void> {
  return Promise.all(
    writers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.writableFinished || w.destroyed) return resolve();
          w.once('error', () => resolve());
          w.end(() => resolve());
        }),
    ),
  ).then(() => undefined);
}

/** A Writable that drops what it is given (a stream the client did not ask for). */
export function nullWriter(): Writable {
  return quiet(new Writable({ write: (_chunk, _encoding, callback) => callback() }));
}

/** Starts a newline-delimited JSON stream (chunked); `send` writes one object per line. */
export function jsonLines(res: ServerResponse, status = 200): { send(obj: unknown): boolean; end(): void } {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  return {
    send(obj: unknown) {
      if (res.destroyed || res.writableEnded) return false;
      return res.write(`${JSON.stringify(obj)}\n`);
    },
    end() {
      if (!res.writableEnded) res.end();
    },
  };
}

export interface HijackedConnection {
  /** What the client sends (stdin). */
  input: Readable;
  /** Where the container's output goes. */
  output: NodeJS.WritableStream;
  /** Ends the connection (both directions). */
  close(): void;
}

/**
 * Takes over the connection for attach and exec. With `Upgrade: tcp` the
 * answer is `101 UPGRADED` and the socket carries both directions raw; without
 * it (older clients, curl) the answer is a 200 stream and stdin is the request body.
 */
export function hijack(ctx: ApiContext, contentType = 'application/vnd.docker.raw-stream'): HijackedConnection {
  if (ctx.upgrade) {
    const socket: Duplex = ctx.upgrade.socket;
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    if (ctx.upgrade.head.length > 0) socket.unshift(ctx.upgrade.head);
    return { input: socket, output: socket, close: () => socket.end() };
  }
  const { req, res } = ctx;
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  return { input: req, output: res, close: () => res.end() };
}
