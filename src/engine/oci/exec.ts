import { spawn, type StdioOptions } from 'node:child_process';
import { existsSync, readFileSync, rmSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { AttachStreams } from '../types.js';
import type { OciRuntime } from './ociRuntime.js';
import { signalNumber } from './ociRuntime.js';
import { syscalls } from '../../os/syscalls.js';
import { TspodError } from '../../util/errors.js';

/**
 * Runs a process in a running container with `runtime exec`, in the
 * foreground: the runtime's own terminal handling gives `-t` a real pty. The
 * runtime logs its own errors as JSON to a file, so the process's stderr stays
 * untouched and a failure to start is told apart from the process's own exit.
 */
export async function execInContainer(
  oci: OciRuntime,
  id: string,
  processPath: string,
  opts: { tty: boolean; detach: boolean; interactive: boolean },
  streams: AttachStreams,
): Promise<number> {
  const logPath = `${processPath}.log`;
  const pidPath = `${processPath}.pid`;
  const direct = streams.stdout === process.stdout && streams.stderr === process.stderr;
  const stdin = opts.interactive && !opts.detach ? (direct ? 'inherit' : 'pipe') : 'ignore';
  const out = opts.detach ? 'ignore' : direct ? 'inherit' : 'pipe';
  const stdio: StdioOptions = [stdin, out, out];
  const args = [
    ...oci.globalArgs,
    '--log', logPath,
    '--log-format', 'json',
    'exec',
    '--process', processPath,
    ...(streams.onStarted ? ['--pid-file', pidPath] : []),
    ...(opts.detach ? ['--detach'] : []),
    id,
  ];
  syscalls().cloexecFrom(3);
  // A terminal the caller does not have (an API client's -t): util-linux's script gives the runtime a pty
  // at the client's size, its output (with the terminal's \r\n) on a pipe.
  const viaPty = opts.tty && !direct && !opts.detach;
  let command = oci.path;
  let commandArgs = args;
  if (viaPty) {
    const size = streams.terminal?.size();
    const stty = size && size.rows > 0 && size.columns > 0 ? `stty rows ${size.rows} cols ${size.columns} 2>/dev/null; ` : '';
    command = 'script';
    commandArgs = ['-qfec', `${stty}exec ${[oci.path, ...args].map(shellQuote).join(' ')}`, '/dev/null'];
    // Without -i stdin stays open and silent: an end of input would reach the pty as a character.
    stdio[0] = 'pipe';
  }
  const stopWatching = streams.onStarted ? watchPidFile(pidPath, streams.onStarted) : () => {};
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(command, commandArgs, { stdio });
      child.on('error', reject);
      if (!direct && !opts.detach) {
        child.stdout?.pipe(streams.stdout, { end: false });
        child.stderr?.pipe(streams.stderr, { end: false });
        if (child.stdin && streams.stdin) streams.stdin.pipe(child.stdin);
      }
      child.on('close', (c, signal) => resolve(c ?? 128 + signalNumber(signal)));
    });
    const failure = runtimeFailure(logPath);
    if (failure) throw failure;
    return code;
  } finally {
    stopWatching();
    rmSync(logPath, { force: true });
    rmSync(pidPath, { force: true });
  }
}

/** Calls `onPid` once the runtime has written the process's pid file (it renames it into place). */
function watchPidFile(path: string, onPid: (pid: number) => void): () => void {
  let done = false;
  const check = () => {
    if (done || !existsSync(path)) return;
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    done = true;
    stop();
    onPid(pid);
  };
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(dirname(path), (_event, file) => file === basename(path) && check());
    watcher.on('error', () => {});
  } catch {
    watcher = undefined;
  }
  const stop = () => {
    done = true;
    watcher?.close();
  };
  return () => {
    // The file may have appeared between the last event and the process's end.
    check();
    stop();
  };
}

/** The runtime's own error, if it failed to start the process, with podman's exit codes. */
function runtimeFailure(logPath: string): TspodError | undefined {
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return undefined;
  }
  const errors = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as { level?: string; msg?: string };
      } catch {
        return {};
      }
    })
    .filter((e) => e.level === 'error' && e.msg);
  const last = errors[errors.length - 1];
  if (!last?.msg) return undefined;
  return ociError(last.msg);
}

/** Classifies a runtime's start error as podman does: 127 not found, 126 cannot invoke. */
export function ociError(message: string): TspodError {
  const msg = message.replace(/^exec failed: /, '');
  if (/executable file not found|no such file or directory/i.test(msg)) {
    return new TspodError(`${msg}: OCI runtime attempted to invoke a command that was not found`, { exitCode: 127 });
  }
  if (/permission denied/i.test(msg)) {
    return new TspodError(`${msg}: OCI permission denied`, { exitCode: 126 });
  }
  return new TspodError(msg, { exitCode: 126 });
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
