/**
 * An exec session run by conmon (`conmon --exec --exec-attach`), for a caller
 * whose streams are not a terminal of its own (the API service): conmon gives
 * the process a pty when asked, serves it on an attach socket and resizes it
 * through the session's `ctl` FIFO. `runtime exec -t` in the foreground
 * cannot do this: it needs a terminal on its own stdio.
 *
 * The handshake, over three pipes: conmon waits for a byte on the start pipe,
 * makes the attach socket and says so on the attach pipe; we connect and send
 * a second byte; conmon runs `runtime exec` and reports the process's pid on
 * the sync pipe, then its exit code there when it ends.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { AttachStreams } from '../types.js';
import type { OciRuntime } from './ociRuntime.js';
import { AttachSocket, resizeTerminal, STREAM_STDERR } from './attach.js';
import { ociError } from './exec.js';
import { syscalls } from '../../os/syscalls.js';
import { TspodError } from '../../util/errors.js';

export interface ConmonExecOptions {
  conmonPath: string;
  runtime: OciRuntime;
  containerId: string;
  containerName: string;
  /** A fresh directory for the session: its attach socket, ctl FIFO, exit file. Removed at the end. */
  sessionDir: string;
  sessionId: string;
  processPath: string;
  tty: boolean;
  interactive: boolean;
}

/** One JSON line conmon writes on its sync and attach pipes. */
interface PipeMessage {
  data: number;
  message?: string;
}

/** Reads conmon's newline-separated JSON messages off a pipe, one at a time. */
class MessageReader {
  private text = '';
  private ended = false;
  private waiting: (() => void) | undefined;

  constructor(pipe: Readable) {
    pipe.on('data', (chunk: Buffer) => {
      this.text += chunk.toString();
      this.waiting?.();
    });
    pipe.on('error', () => {});
    pipe.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  /** The next message; undefined when the pipe ended first. */
  async next(): Promise<PipeMessage | undefined> {
    for (;;) {
      const newline = this.text.indexOf('\n');
      if (newline >= 0) {
        const line = this.text.slice(0, newline);
        this.text = this.text.slice(newline + 1);
        try {
          return JSON.parse(line) as PipeMessage;
        } catch {
          throw new TspodError(`conmon sent an unreadable message: ${line.slice(0, 200)}`);
        }
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }
}

export async function execWithConmon(opts: ConmonExecOptions, streams: AttachStreams): Promise<number> {
  const { sessionDir } = opts;
  mkdirSync(join(sessionDir, 'exit'), { recursive: true });
  mkdirSync(join(sessionDir, 'persist'), { recursive: true });
  const runtimeLog = join(sessionDir, 'runtime.log');
  const args = [
    '--api-version', '1',
    '-c', opts.containerId,
    '-u', opts.sessionId,
    '-r', opts.runtime.path,
    '-b', sessionDir,
    '-p', join(sessionDir, 'exec_pid'),
    '-n', opts.containerName,
    '--exit-dir', join(sessionDir, 'exit'),
    '--persist-dir', join(sessionDir, 'persist'),
    '--full-attach',
    ...[...opts.runtime.globalArgs, '--log-format=json', `--log=${runtimeLog}`].flatMap((a) => ['--runtime-arg', a]),
    '-l', 'none',
    '--log-level', 'error',
    ...(opts.tty ? ['-t'] : []),
    ...(opts.interactive ? ['-i'] : []),
    '-e',
    '--exec-attach',
    '--exec-process-spec', opts.processPath,
  ];
  syscalls().cloexecFrom(3);
  const child = spawn(opts.conmonPath, args, {
    detached: true,
    cwd: sessionDir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
  });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));
  child.on('error', () => {});
  const pipes = child.stdio as unknown as Array<Readable & Writable>;
  const sync = new MessageReader(pipes[3]!);
  const attachPipe = new MessageReader(pipes[5]!);
  const startPipe: Writable = pipes[4]!;
  startPipe.on('error', () => {});
  let socket: AttachSocket | undefined;
  try {
    startPipe.write(Buffer.from([0]));
    const ready = await attachPipe.next();
    if (!ready || ready.data < 0) throw failure(opts, ready?.message ?? Buffer.concat(stderr).toString().trim(), runtimeLog);
    socket = AttachSocket.connect(join(sessionDir, 'attach'), (stream, data) => {
      (stream === STREAM_STDERR ? streams.stderr : streams.stdout).write(data);
    });
    startPipe.end(Buffer.from([0]));
    const started = await sync.next();
    if (!started || started.data < 0) {
      const error = failure(opts, started?.message ?? Buffer.concat(stderr).toString().trim(), runtimeLog);
      // What `runtime exec` in the foreground would have printed on the session's stderr.
      streams.stderr.write(`${error.message}\n`);
      throw error;
    }
    streams.onStarted?.(started.data);
    const session = socket;
    if (opts.tty && streams.terminal) {
      const ctl = join(sessionDir, 'ctl');
      const resize = () => {
        const size = streams.terminal!.size();
        if (size) resizeTerminal(ctl, size.rows, size.columns);
      };
      resize();
      streams.terminal.onResize(resize);
    }
    if (opts.interactive && streams.stdin) {
      const stdin = streams.stdin;
      stdin.on('data', (chunk: Buffer) => void session.write(chunk));
      stdin.once('end', () => session.closeWrite());
      stdin.resume();
    }
    const exited = await sync.next();
    await session.ended;
    return exited?.data ?? exitFileCode(opts) ?? -1;
  } finally {
    socket?.close();
    streams.stdin?.pause();
    for (const pipe of pipes) pipe?.destroy();
    child.unref();
    rmSync(sessionDir, { recursive: true, force: true });
  }
}

/** conmon's exit file for the session, named after the container. */
function exitFileCode(opts: ConmonExecOptions): number | undefined {
  try {
    const code = Number(readFileSync(join(opts.sessionDir, 'exit', opts.containerId), 'utf8').trim());
    return Number.isInteger(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime's own error when it logged one, else conmon's; 126/127 as Podman's. */
function failure(opts: ConmonExecOptions, message: string, runtimeLog: string): TspodError {
  let text = message;
  try {
    const lines = readFileSync(runtimeLog, 'utf8').split('\n').filter(Boolean);
    for (const line of lines.reverse()) {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) {
        text = entry.msg;
        break;
      }
    }
  } catch {
    // no runtime log: conmon's message it is
  }
  return ociError(text || `conmon could not run the exec session in container ${opts.containerName}`);
}
