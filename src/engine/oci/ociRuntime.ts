import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { MissingProgramError, TspodError } from '../../util/errors.js';
import { isProcessAlive } from '../../util/process.js';

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * The OCI runtime (runc or crun) driven as a program. Each storage root gets its
 * own runtime state dir (`--root`), so two engines never see each other's containers.
 */
export class OciRuntime {
  constructor(
    readonly name: string,
    readonly path: string,
    readonly stateDir: string,
    readonly extraFlags: string[] = [],
  ) {}

  /** The global flags every call passes. */
  get globalArgs(): string[] {
    return ['--root', this.stateDir, ...this.extraFlags];
  }

  /** Starts a created container; `pid` (its init, waiting to exec) allows the fast path below. */
  start(id: string, pid?: number): void {
    if (this.name === 'runc' && pid && this.startThroughFifo(id, pid)) return;
    this.check(['start', id], 'start');
  }

  /**
   * What `runc start` does, without its ~8 ms of Go start-up on every run:
   * runc's init waits to open `<state>/<id>/exec.fifo` for writing; once a
   * reader opens it, init writes one byte and execs the container process,
   * and the reader removes the fifo (which is how runc tells created from
   * running). Any surprise returns false and `runc start` does it instead.
   */
  private startThroughFifo(id: string, pid: number): boolean {
    const fifo = join(this.stateDir, id, 'exec.fifo');
    let fd: number;
    try {
      fd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch {
      return false;
    }
    try {
      const buf = Buffer.alloc(16);
      const readByte = (): boolean | undefined => {
        try {
          return readSync(fd, buf, 0, buf.length, null) > 0;
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === 'EAGAIN' ? false : undefined;
        }
      };
      const deadline = Date.now() + 5_000;
      for (;;) {
        const got = readByte();
        if (got === undefined) return false;
        if (got) break;
        // Nothing yet (init has not reopened its end) or no writer at all (init died).
        // A short-lived command can write its byte, exec and exit between the read
        // above and this check, so read once more before giving up.
        if (!isProcessAlive(pid) || Date.now() > deadline) {
          if (readByte()) break;
          return false;
        }
        Atomics.wait(SLEEPER, 0, 0, 1);
      }
      unlinkSync(fifo);
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** CRIU dump through the runtime; the process ends unless leave-running is among the flags. */
  checkpoint(id: string, imageDir: string, workDir: string, flags: string[]): void {
    this.check(['checkpoint', '--image-path', imageDir, '--work-path', workDir, ...flags, id], 'checkpoint');
  }

  kill(id: string, signal: number, all = false): void {
    this.check(['kill', ...(all ? ['--all'] : []), id, String(signal)], 'kill');
  }

  pause(id: string): void {
    this.check(['pause', id], 'pause');
  }

  resume(id: string): void {
    this.check(['resume', id], 'resume');
  }

  /** The runtime's status of a container (created, running, paused, stopped), or undefined when it knows none. */
  status(id: string): string | undefined {
    const r = this.exec(['state', id]);
    if (r.status !== 0) return undefined;
    try {
      return (JSON.parse(r.stdout) as { status?: string }).status;
    } catch {
      return undefined;
    }
  }

  /** Removes the runtime's state for a stopped (or, with force, any) container; absent is fine. */
  delete(id: string, force = false): void {
    const r = this.exec(['delete', ...(force ? ['--force'] : []), id]);
    if (r.status !== 0 && !/not exist|container not found|does not exist/.test(r.stderr)) {
      throw new TspodError(`${this.name} delete ${id}: ${lastLine(r.stderr)}`);
    }
  }

  private check(args: string[], what: string): void {
    const r = this.exec(args);
    if (r.status !== 0) throw new TspodError(`${this.name} ${what}: ${lastLine(r.stderr)}`);
  }

  private exec(args: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(this.path, [...this.globalArgs, ...args], { encoding: 'utf8' });
    if (r.error) throw new TspodError(`cannot run ${this.path}: ${r.error.message}`);
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  const line = lines[lines.length - 1] ?? 'failed';
  // runc's JSON log lines: {"level":"error","msg":"..."}
  try {
    const parsed = JSON.parse(line) as { msg?: string };
    if (parsed.msg) return parsed.msg;
  } catch {
    // plain text
  }
  return line.replace(/^time=".*?" level=\w+ msg="(.*)"$/, '$1');
}

export function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

/** Finds the runtime program: a path, or a name from containers.conf's [engine.runtimes]. */
export function resolveRuntimePath(name: string, runtimes: Record<string, string[]>): string {
  if (isAbsolute(name)) {
    if (!existsSync(name)) throw new TspodError(`OCI runtime ${name} not found: install it or choose another with --runtime`);
    return name;
  }
  const candidates = runtimes[name] ?? [];
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  if (name === 'runc' || name === 'crun') throw new MissingProgramError(name, name);
  throw new TspodError(`OCI runtime "${name}" not found: name one from containers.conf [engine.runtimes] or give its path`);
}
