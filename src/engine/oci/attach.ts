import { close, closeSync, constants, openSync, read, write, writeSync } from 'node:fs';
import { syscalls } from '../../os/syscalls.js';

/**
 * conmon's attach socket (SOCK_SEQPACKET, which Node's net module cannot
 * open): every packet from conmon starts with the stream it belongs to (2
 * stdout, 3 stderr); what we send is the container's stdin. Reads run on
 * libuv's thread pool over the blocking fd.
 */
export const STREAM_STDOUT = 2;
export const STREAM_STDERR = 3;

/** conmon reads stdin packets into a 32 KiB buffer; stay well below it. */
const MAX_PACKET = 8192;

export class AttachSocket {
  private closed = false;
  /** Resolves when conmon closes the socket (the container's output ended). */
  readonly ended: Promise<void>;

  private constructor(
    private readonly fd: number,
    onData: (stream: number, data: Buffer) => void,
  ) {
    this.ended = this.readLoop(onData);
  }

  static connect(path: string, onData: (stream: number, data: Buffer) => void): AttachSocket {
    return new AttachSocket(syscalls().seqpacketConnect(path), onData);
  }

  private async readLoop(onData: (stream: number, data: Buffer) => void): Promise<void> {
    const buffer = Buffer.alloc(65536);
    for (;;) {
      if (this.closed) return;
      const n = await new Promise<number>((resolve) => read(this.fd, buffer, 0, buffer.length, null, (err, bytes) => resolve(err ? 0 : bytes)));
      if (n <= 0) return;
      if (n > 1) onData(buffer[0]!, Buffer.from(buffer.subarray(1, n)));
    }
  }

  /** Writes in order; shutdown waits for them (else the end of stdin could overtake its data). */
  private pending: Promise<void> = Promise.resolve();

  /** Sends stdin data, split into packets conmon reads whole. */
  write(data: Buffer): Promise<void> {
    this.pending = this.pending.then(async () => {
      for (let offset = 0; offset < data.length && !this.closed; offset += MAX_PACKET) {
        const chunk = data.subarray(offset, offset + MAX_PACKET);
        await new Promise<void>((resolve) => write(this.fd, chunk, () => resolve()));
      }
    });
    return this.pending;
  }

  /** Our stdin ended: conmon closes the container's stdin in turn. */
  closeWrite(): void {
    this.pending = this.pending.then(() => {
      if (this.closed) return;
      try {
        syscalls().shutdown(this.fd, 1);
      } catch {
        // already gone
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      syscalls().shutdown(this.fd, 2);
    } catch {
      // already gone
    }
    // Never close under an in-flight write: the fd number could be reused meanwhile.
    void this.pending.finally(() => close(this.fd, () => {}));
  }
}

/** Tells conmon the terminal's new size through the bundle's `ctl` FIFO. */
export function resizeTerminal(ctlPath: string, rows: number, columns: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, `1 ${rows} ${columns}\n`);
  } catch {
    // the container is gone; nothing to resize
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
