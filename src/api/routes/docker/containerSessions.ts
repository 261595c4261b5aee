/**
 * What the service remembers between requests about containers: attach
 * connections waiting for their container to start (the Docker CLI attaches
 * before it starts, and output written before the attach would be lost), and
 * exec sessions, which Docker creates and starts in two requests.
 */
import { randomBytes } from 'node:crypto';
import type { AttachStreams, ExecOptions } from '../../../engine/types.js';

/** An attach whose container had not started yet: the start request starts it attached to these streams. */
export interface PendingAttach {
  streams: AttachStreams;
  /** Called with the outcome once the container ran (or failed to start). */
  settle(result: { exitCode?: number; error?: unknown }): void;
}

export class PendingAttaches {
  private readonly byContainer = new Map<string, PendingAttach[]>();

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

export interface ExecSession {
  id: string;
  containerId: string;
  options: ExecOptions;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys?: string;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

/** How long a finished exec session can still be inspected, and an unstarted one started. */
const FINISHED_KEPT_MS = 10 * 60 * 1000;
const UNSTARTED_KEPT_MS = 60 * 60 * 1000;

export class ExecSessions {
  private readonly sessions = new Map<string, ExecSession>();

  create(session: Omit<ExecSession, 'id' | 'running' | 'exitCode' | 'pid'>): ExecSession {
    const full: ExecSession = { ...session, id: randomBytes(32).toString('hex'), running: false, exitCode: null, pid: 0 };
    this.sessions.set(full.id, full);
    // One created and never started is forgotten in time too.
    setTimeout(() => {
      if (!full.running && full.exitCode === null) this.sessions.delete(full.id);
    }, UNSTARTED_KEPT_MS).unref();
    return full;
  }

  get(id: string): ExecSession | undefined {
    return this.sessions.get(id) ?? [...this.sessions.values()].find((s) => id.length >= 12 && s.id.startsWith(id));
  }

  /** The container's sessions (inspect's ExecIDs). */
  ofContainer(containerId: string): string[] {
    return [...this.sessions.values()].filter((s) => s.containerId === containerId).map((s) => s.id);
  }

  finished(session: ExecSession, exitCode: number): void {
    session.running = false;
    session.exitCode = exitCode;
    session.pid = 0;
    setTimeout(() => this.sessions.delete(session.id), FINISHED_KEPT_MS).unref();
  }
}

export type TerminalSize = { rows: number; columns: number };

/** Sizes preset for containers created and never attached are forgotten beyond this many. */
const PRESETS_KEPT = 1000;

/**
 * Terminal sizes from resize requests, handed to the attached session (keyed by
 * container id) or exec session (keyed by exec id) that applies them.
 */
export class TerminalSizes {
  private readonly open = new Map<string, { size?: TerminalSize; listeners: Set<() => void> }>();
  private readonly presets = new Map<string, TerminalSize>();

  /** The size a session not started yet begins with (Docker's HostConfig.ConsoleSize at create). */
  preset(key: string, size: TerminalSize): void {
    this.presets.set(key, size);
    if (this.presets.size > PRESETS_KEPT) this.presets.delete(this.presets.keys().next().value!);
  }

  /** The terminal of a session that starts now; `close` when it ends. */
  start(key: string, initial?: TerminalSize): { terminal: NonNullable<AttachStreams['terminal']>; close(): void } {
    const entry = { size: initial ?? this.presets.get(key), listeners: new Set<() => void>() };
    this.presets.delete(key);
    this.open.set(key, entry);
    return {
      terminal: {
        size: () => entry.size,
        onResize: (listener) => entry.listeners.add(listener),
      },
      close: () => {
        if (this.open.get(key) === entry) this.open.delete(key);
      },
    };
  }

  /** A resize request; without a session under way there is nothing to resize. */
  resize(key: string, size: TerminalSize): void {
    const entry = this.open.get(key);
    if (!entry) return;
    entry.size = size;
    for (const listener of entry.listeners) listener();
  }
}

export const pendingAttaches = new PendingAttaches();
export const terminalSizes = new TerminalSizes();
export const execSessions = new ExecSessions();
