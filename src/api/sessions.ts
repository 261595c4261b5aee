/**
 * What the service remembers between requests, shared by the Docker and the
 * libpod routes as Podman's one store is (an exec created through one family
 * can be inspected, started and resized through the other):
 *
 * - attaches waiting for their container to start: the Docker CLI attaches
 *   (possibly several times) before it starts a container, Podman's remote run
 *   attaches then starts; output written before the attach would be lost, so
 *   the start request runs the container attached to the waiting connections;
 * - exec sessions, created, started and inspected in separate requests;
 * - terminal sizes sent by resize requests, for the attach or exec session
 *   (keyed by container or exec id) that applies them;
 * - the exit codes of containers that ended attached (a --rm container is gone
 *   by the time its libpod client asks wait).
 *
 * All in memory and bounded: it belongs to the connections of this process.
 */
import { randomBytes } from 'node:crypto';
import type { AttachResult, AttachStreams, Engine, ExecOptions } from '../engine/types.js';
import { TspodError } from '../util/errors.js';

/** An attach whose container had not started yet: the start request starts it attached to these streams. */
export interface PendingAttach {
  streams: AttachStreams;
  /** Called once the attached run is over; `error` when it failed after the container had started. */
  settle(result: AttachResult | undefined, error?: unknown): void;
}

export class PendingAttaches {
  private readonly byContainer = new Map<string, PendingAttach[]>();

  /** Returns the way to withdraw the attach (its client hung up before the start). */
  add(containerId: string, attach: PendingAttach): () => void {
    const list = this.byContainer.get(containerId) ?? [];
    list.push(attach);
    this.byContainer.set(containerId, list);
    return () => this.remove(containerId, attach);
  }

  /** The attaches waiting on a container, handed to the one start that serves them. */
  take(containerId: string): PendingAttach[] {
    const list = this.byContainer.get(containerId) ?? [];
    this.byContainer.delete(containerId);
    return list;
  }

  private remove(containerId: string, attach: PendingAttach): void {
    const list = this.byContainer.get(containerId);
    if (!list) return;
    const rest = list.filter((a) => a !== attach);
    if (rest.length) this.byContainer.set(containerId, rest);
    else this.byContainer.delete(containerId);
  }
}

/**
 * Starts a container whose attaches wait for it: the first is attached from
 * the very start, the others as soon as it runs. Resolves once it runs,
 * rejects when it could not start (the start request says why, not the attach).
 */
export async function startWithAttaches(engine: Engine, id: string, attaches: PendingAttach[]): Promise<void> {
  const [first, ...others] = attaches;
  if (!first) return;
  recentExits.forget(id);
  await new Promise<void>((resolve, reject) => {
    let started = false;
    engine.containers.startAttached(id, { ...first.streams, onStarted: () => ((started = true), resolve()) }).then(
      (result) => {
        first.settle(result);
        resolve();
      },
      (err: unknown) => {
        first.settle(undefined, started ? err : undefined);
        if (!started) reject(err);
      },
    );
  });
  for (const other of others) {
    engine.containers.attach(id, other.streams).then(
      (result) => other.settle(result),
      (err: unknown) => other.settle(undefined, err),
    );
  }
}

export interface ExecSession {
  id: string;
  containerId: string;
  options: ExecOptions;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys?: string;
  running: boolean;
  /** null until the process ended. */
  exitCode: number | null;
  /** The process on the host while it runs, 0 otherwise. */
  pid: number;
  /** Why the command could not be run, when it could not. */
  error?: unknown;
}

/** How long a finished exec session can still be inspected, and an unstarted one started. */
const FINISHED_KEPT_MS = 10 * 60 * 1000;
const UNSTARTED_KEPT_MS = 60 * 60 * 1000;
/** Beyond this many sessions the oldest not running is forgotten early. */
const EXEC_SESSIONS_KEPT = 1024;

export class ExecSessions {
  private readonly sessions = new Map<string, { session: ExecSession; expires: number }>();

  create(init: Omit<ExecSession, 'id' | 'running' | 'exitCode' | 'pid' | 'error'>): ExecSession {
    this.forgetExpired();
    const session: ExecSession = { ...init, id: randomBytes(32).toString('hex'), running: false, exitCode: null, pid: 0 };
    this.sessions.set(session.id, { session, expires: Date.now() + UNSTARTED_KEPT_MS });
    if (this.sessions.size > EXEC_SESSIONS_KEPT) {
      for (const [id, entry] of this.sessions) {
        if (!entry.session.running) {
          this.sessions.delete(id);
          break;
        }
      }
    }
    return session;
  }

  /** A session by its id or a unique-enough prefix of it (12 characters or more). */
  get(id: string): ExecSession | undefined {
    this.forgetExpired();
    const exact = this.sessions.get(id);
    if (exact) return exact.session;
    if (id.length < 12) return undefined;
    for (const [full, entry] of this.sessions) if (full.startsWith(id)) return entry.session;
    return undefined;
  }

  /**
   * The ids of a container's sessions not over yet (inspect's ExecIDs): as
   * Docker's, a finished session leaves its container's list at once but can
   * still be inspected for a while.
   */
  ofContainer(containerId: string): string[] {
    this.forgetExpired();
    return [...this.sessions.values()].filter((e) => e.session.containerId === containerId && e.session.exitCode === null).map((e) => e.session.id);
  }

  /** Marks a session running; false when it had been started before. */
  begin(session: ExecSession): boolean {
    if (session.running || session.exitCode !== null) return false;
    session.running = true;
    return true;
  }

  /**
   * Runs a begun session's command on these streams, recording its pid while
   * it runs and its exit code after (126 or 127, as Podman's, with the reason
   * in `error`, when the runtime could not start it). Resolves with the code.
   */
  async run(engine: Engine, session: ExecSession, options: ExecOptions, streams: AttachStreams): Promise<number> {
    let code: number;
    try {
      code = await engine.containers.exec(session.containerId, options, { ...streams, onStarted: (pid) => (session.pid = pid ?? 0) });
    } catch (err) {
      session.error = err;
      code = err instanceof TspodError ? err.exitCode : 126;
    }
    session.running = false;
    session.exitCode = code;
    session.pid = 0;
    const entry = this.sessions.get(session.id);
    if (entry) entry.expires = Date.now() + FINISHED_KEPT_MS;
    return code;
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, entry] of this.sessions) if (!entry.session.running && entry.expires <= now) this.sessions.delete(id);
  }
}

export type TerminalSize = { rows: number; columns: number };
type Terminal = NonNullable<AttachStreams['terminal']>;

/** Sizes for sessions not started yet are forgotten beyond this many. */
const PRESETS_KEPT = 1000;

/**
 * Terminal sizes from resize requests, handed to the attached sessions (keyed
 * by container id) or exec session (keyed by exec id) that apply them. A size
 * sent before its session starts (Docker's HostConfig.ConsoleSize at create,
 * a Podman client's first resize racing its attach) is kept for the start.
 */
export class TerminalSizes {
  private readonly open = new Map<string, { size?: TerminalSize; handles: Set<Set<() => void>> }>();
  private readonly presets = new Map<string, TerminalSize>();

  /** The size a session not started yet begins with. */
  preset(key: string, size: TerminalSize): void {
    this.presets.delete(key);
    this.presets.set(key, size);
    if (this.presets.size > PRESETS_KEPT) this.presets.delete(this.presets.keys().next().value!);
  }

  /**
   * The terminal of a session that starts now; `close` when it ends. Several
   * attaches to one container share its size.
   */
  start(key: string, initial?: TerminalSize): { terminal: Terminal; close(): void } {
    let entry = this.open.get(key);
    if (!entry) {
      entry = { size: this.presets.get(key), handles: new Set() };
      this.open.set(key, entry);
      this.presets.delete(key);
    }
    if (initial) entry.size = initial;
    const listeners = new Set<() => void>();
    entry.handles.add(listeners);
    const shared = entry;
    return {
      terminal: {
        size: () => shared.size,
        onResize: (listener) => listeners.add(listener),
      },
      close: () => {
        shared.handles.delete(listeners);
        if (shared.handles.size === 0 && this.open.get(key) === shared) this.open.delete(key);
      },
    };
  }

  /** A resize request: applied to the session under way, or kept for the one to come. */
  resize(key: string, size: TerminalSize): void {
    const entry = this.open.get(key);
    if (!entry) return this.preset(key, size);
    entry.size = size;
    for (const listeners of entry.handles) for (const listener of listeners) listener();
  }
}

/** Exit codes of containers that ended attached, for a wait that comes after a --rm container is gone. */
const RECENT_EXITS_KEPT = 256;

export class RecentExits {
  private readonly codes = new Map<string, number>();

  remember(id: string, code: number): void {
    this.codes.delete(id);
    this.codes.set(id, code);
    if (this.codes.size > RECENT_EXITS_KEPT) this.codes.delete(this.codes.keys().next().value!);
  }

  forget(id: string): void {
    this.codes.delete(id);
  }

  /** By full id, or an id prefix of 12 characters or more. */
  of(nameOrId: string): number | undefined {
    if (this.codes.has(nameOrId)) return this.codes.get(nameOrId);
    if (nameOrId.length >= 12) for (const [id, code] of this.codes) if (id.startsWith(nameOrId)) return code;
    return undefined;
  }
}

export const pendingAttaches = new PendingAttaches();
export const execSessions = new ExecSessions();
export const terminalSizes = new TerminalSizes();
export const recentExits = new RecentExits();
