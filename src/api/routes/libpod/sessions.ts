/**
 * What the service remembers between requests about attached clients:
 *
 * - attaches waiting for a start (Podman's remote run attaches to the created
 *   container, then starts it: the start runs the container attached to the
 *   waiting connection);
 * - terminal sizes sent by resize, for the attach and exec sessions that read them;
 * - the exit codes of containers that ended attached (a --rm container is gone
 *   by the time its client asks wait);
 * - exec sessions between create, start and inspect.
 *
 * All in memory: a session belongs to the connections of this process.
 */
import { randomBytes } from 'node:crypto';
import type { AttachResult, AttachStreams, ExecOptions } from '../../../engine/types.js';

type Size = { rows: number; columns: number };

/** A terminal whose size the client sets with resize requests. */
export class RemoteTerminal {
  private current: Size | undefined;
  private readonly listeners: Array<() => void> = [];

  size(): Size | undefined {
    return this.current;
  }
  onResize(listener: () => void): void {
    this.listeners.push(listener);
  }
  resize(size: Size): void {
    this.current = size;
    for (const listener of this.listeners) listener();
  }
}

export interface PendingAttach {
  streams: AttachStreams;
  /** Ends the client's connection once the attached run is over. */
  finish(result: AttachResult | undefined, error?: unknown): void;
}

const pendingAttaches = new Map<string, PendingAttach>();
const terminals = new Map<string, RemoteTerminal>();
const recentExits = new Map<string, number>();
const RECENT_EXITS_KEPT = 256;

export function terminalFor(key: string): RemoteTerminal {
  let t = terminals.get(key);
  if (!t) {
    t = new RemoteTerminal();
    terminals.set(key, t);
  }
  return t;
}

export function dropTerminal(key: string): void {
  terminals.delete(key);
}

export function addPendingAttach(id: string, attach: PendingAttach): void {
  pendingAttaches.get(id)?.finish(undefined, new Error('another client attached'));
  pendingAttaches.set(id, attach);
}

export function takePendingAttach(id: string): PendingAttach | undefined {
  const found = pendingAttaches.get(id);
  pendingAttaches.delete(id);
  return found;
}

export function removePendingAttach(id: string, attach: PendingAttach): void {
  if (pendingAttaches.get(id) === attach) pendingAttaches.delete(id);
}

export function rememberExit(id: string, code: number): void {
  recentExits.delete(id);
  recentExits.set(id, code);
  if (recentExits.size > RECENT_EXITS_KEPT) recentExits.delete(recentExits.keys().next().value!);
}

export function forgetExit(id: string): void {
  recentExits.delete(id);
}

/** The exit code of a container that ended attached, when it is gone now. */
export function recentExit(nameOrId: string): number | undefined {
  if (recentExits.has(nameOrId)) return recentExits.get(nameOrId);
  if (nameOrId.length >= 12) for (const [id, code] of recentExits) if (id.startsWith(nameOrId)) return code;
  return undefined;
}

export interface ExecSession {
  id: string;
  container: string;
  options: ExecOptions;
  detachKeys?: string;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  running: boolean;
  exitCode?: number;
  pid: number;
}

const execSessions = new Map<string, ExecSession>();
const EXEC_SESSIONS_KEPT = 1024;

export function createExecSession(init: Omit<ExecSession, 'id' | 'running' | 'pid'>): ExecSession {
  const session: ExecSession = { ...init, id: randomBytes(32).toString('hex'), running: false, pid: 0 };
  execSessions.set(session.id, session);
  if (execSessions.size > EXEC_SESSIONS_KEPT) {
    for (const [id, s] of execSessions) {
      if (!s.running) {
        execSessions.delete(id);
        break;
      }
    }
  }
  return session;
}

export function execSession(id: string): ExecSession | undefined {
  return execSessions.get(id);
}
