import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { OciRuntime } from './ociRuntime.js';
import { syscalls } from '../../os/syscalls.js';
import { MissingProgramError, TspodError } from '../../util/errors.js';
import { ociError } from './exec.js';

/**
 * conmon, the per-container monitor: it runs `runtime create`, stays as the
 * container's parent, writes the logs and the exit file, serves the attach
 * socket and runs the exit command when the container ends. tspod starts it
 * detached and never waits for it.
 */
export interface ConmonLaunch {
  conmonPath: string;
  runtime: OciRuntime;
  id: string;
  name: string;
  bundle: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  persistDir: string;
  logDriver: 'k8s-file' | 'none' | 'passthrough';
  logPath: string;
  /** Bytes after which conmon rotates the log; -1 or 0: never. */
  logSizeMax?: number;
  terminal: boolean;
  stdin: boolean;
  exitCommand: string[];
  logLevel?: string;
  env: NodeJS.ProcessEnv;
  /** Restore from this CRIU image dir (runtime restore) instead of creating the container. */
  restore?: { imageDir: string; runtimeOpts: string[] };
}

export function findConmon(candidates: string[], override?: string): string {
  if (override) {
    if (!existsSync(override)) throw new TspodError(`conmon ${override} not found: check --conmon`);
    return override;
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new MissingProgramError('conmon', 'conmon');
  return found;
}

/** Starts conmon, which creates the container; resolves with the container's pid once it exists. */
export async function launchConmon(opts: ConmonLaunch): Promise<{ pid: number }> {
  const args = [
    '--api-version', '1',
    '-c', opts.id,
    '-u', opts.id,
    '-r', opts.runtime.path,
    '-b', opts.bundle,
    '-p', opts.pidFile,
    '-n', opts.name,
    '--exit-dir', opts.exitDir,
    '--persist-dir', opts.persistDir,
    '--full-attach',
    ...opts.runtime.globalArgs.flatMap((a) => ['--runtime-arg', a]),
    '-l', opts.logDriver === 'k8s-file' ? `k8s-file:${opts.logPath}` : opts.logDriver,
    ...(opts.logSizeMax && opts.logSizeMax > 0 ? ['--log-size-max', String(opts.logSizeMax)] : []),
    '--log-level', conmonLogLevel(opts.logLevel),
    ...(opts.terminal ? ['-t'] : opts.stdin ? ['-i'] : []),
    '--conmon-pidfile', opts.conmonPidFile,
    '--exit-command', opts.exitCommand[0]!,
    ...opts.exitCommand.slice(1).flatMap((a) => ['--exit-command-arg', a]),
    ...(opts.restore ? ['--restore', opts.restore.imageDir, ...opts.restore.runtimeOpts.flatMap((o) => ['--runtime-opt', o])] : []),
  ];
  // Nothing this process inherited may reach conmon, the runtime or the container.
  syscalls().cloexecFrom(3);
  const passthrough = opts.logDriver === 'passthrough';
  const child = spawn(opts.conmonPath, args, {
    detached: true,
    stdio: passthrough ? ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'] : ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...opts.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
  });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));
  const syncPipe = child.stdio[3] as Readable;
  const startPipe = child.stdio[4] as Writable;
  startPipe.end(Buffer.from([0]));
  startPipe.on('error', () => {});
  try {
    const [exitCode, message] = await Promise.all([
      new Promise<number>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? 1));
      }),
      readSyncMessage(syncPipe),
    ]);
    const detail = Buffer.concat(stderr).toString().trim();
    if (message.data < 0 || exitCode !== 0) {
      throw runtimeError(opts.runtime.name, message.message || detail || `conmon exited with ${exitCode}`);
    }
    return { pid: message.data };
  } finally {
    // conmon keeps its end open for the container's whole life: let go of ours.
    syncPipe.destroy();
    child.stderr?.destroy();
    child.unref();
  }
}

interface SyncMessage {
  data: number;
  message?: string;
}

function readSyncMessage(pipe: Readable): Promise<SyncMessage> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      pipe.off('data', onData);
      try {
        resolve(JSON.parse(text.slice(0, newline)) as SyncMessage);
      } catch {
        reject(new TspodError(`conmon sent an unreadable start message: ${text.slice(0, 200)}`));
      }
    };
    pipe.on('data', onData);
    pipe.on('error', () => {});
    pipe.on('end', () => {
      if (!text.includes('\n')) resolve({ data: -1, message: text.trim() || undefined });
    });
  });
}

/** The runtime's create error as podman shows it (`runc: ...`), classified 126/127. */
function runtimeError(runtimeName: string, message: string): TspodError {
  const text = message.replace(/^.*?msg="(.*)".*$/s, '$1').replace(/\\"/g, '"').trim();
  const classified = ociError(text);
  classified.message = `${runtimeName}: ${classified.message}`;
  return classified;
}

function conmonLogLevel(level: string | undefined): string {
  switch (level) {
    case 'debug':
    case 'trace':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
      return 'warn';
    default:
      return 'error';
  }
}
