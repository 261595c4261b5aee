import type { AttachStreams } from '../../../engine/types.js';

/**
 * This process's stdio as an attached client: raw mode on a terminal for -it
 * (restored by the returned function), window size and its changes.
 */
export function terminalStreams(opts: { interactive: boolean; tty: boolean; detachKeys?: string; sigProxy: boolean }): { streams: AttachStreams; restore: () => void } {
  const stdin = process.stdin;
  let restore = () => {};
  if (opts.tty && opts.interactive && stdin.isTTY) {
    stdin.setRawMode(true);
    restore = () => {
      if (stdin.isRaw) stdin.setRawMode(false);
    };
    // However this process ends, the user's terminal must not stay raw.
    process.once('exit', restore);
    for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      process.once(signal, () => {
        restore();
        process.exit(code);
      });
    }
  }
  const streams: AttachStreams = {
    stdin: opts.interactive ? stdin : undefined,
    stdout: process.stdout,
    stderr: process.stderr,
    detachKeys: opts.detachKeys,
    sigProxy: opts.sigProxy && !opts.tty,
    terminal: opts.tty
      ? {
          size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined),
          onResize: (listener) => {
            if (process.stdout.isTTY) process.stdout.on('resize', listener);
          },
        }
      : undefined,
  };
  return { streams, restore };
}
