import { openSync, writeSync, closeSync, statSync, fstatSync, readSync, renameSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../runtime.js';
import { InvalidArgumentError } from '../../util/errors.js';

import type { EventRecord, EventType, EventsQuery } from '../eventTypes.js';

export type { EventRecord, EventType, EventsQuery };

export interface EventInput {
  type: EventType;
  action: string;
  id?: string;
  name?: string;
  image?: string;
  attributes?: Record<string, string>;
}

/** Past this size the journal is renamed to events.log.1 (one generation kept), bounding disk use. */
const ROTATE_BYTES = 1 << 20;

/**
 * The journal lives under the store's runroot: it is per-store (tests and `--runroot` users get
 * their own stream, as podman's `<tmpdir>/events` does) and on tmpfs, so it vanishes at reboot
 * like the containers' runtime state it describes.
 */
export function eventsDir(runtime: Runtime): string {
  return join(runtime.store.options.runRoot, 'tspod', 'events');
}

export function eventsLogPath(runtime: Runtime): string {
  return join(eventsDir(runtime), 'events.log');
}

/** `file` or `none`; journald is not available to a daemonless Node process, so it falls back to file. */
export function eventsBackend(runtime: Runtime): 'file' | 'none' {
  const chosen = runtime.globals.eventsBackend ?? runtime.containersConf.engine.eventsLogger;
  return chosen === 'none' ? 'none' : 'file';
}

let hrBase: { ms: bigint; hr: bigint } | undefined;
function nowNano(): bigint {
  hrBase ??= { ms: BigInt(Date.now()) * 1_000_000n, hr: process.hrtime.bigint() };
  return hrBase.ms + (process.hrtime.bigint() - hrBase.hr);
}

/**
 * Appends one event. A single write() on an O_APPEND descriptor, so lines from concurrent tspod
 * processes never interleave. Never throws: an event that cannot be written must not fail the
 * operation it describes.
 */
export function recordEvent(runtime: Runtime, event: EventInput): void {
  try {
    if (eventsBackend(runtime) === 'none') return;
    const record: EventRecord = {
      ID: event.id ?? '',
      Name: event.name ?? '',
      Image: event.image ?? '',
      Type: event.type,
      Status: event.action,
      TimeNano: nowNano().toString(),
    };
    if (event.attributes && Object.keys(event.attributes).length) record.Attributes = event.attributes;
    const exitCode = event.attributes?.containerExitCode;
    if (exitCode !== undefined) record.ContainerExitCode = Number(exitCode);
    const path = eventsLogPath(runtime);
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    let fd: number;
    try {
      fd = openSync(path, 'a', 0o600);
    } catch {
      mkdirSync(eventsDir(runtime), { recursive: true, mode: 0o700 });
      fd = openSync(path, 'a', 0o600);
    }
    try {
      writeSync(fd, line);
    } finally {
      closeSync(fd);
    }
    rotateIfLarge(path);
  } catch {
    // best effort
  }
}

function rotateIfLarge(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size < ROTATE_BYTES) return;
  // rename is atomic: a follower holding the old inode reads it to its end, then reopens the path.
  try {
    renameSync(path, `${path}.1`);
  } catch {
    // another process rotated first
  }
}

export function parseEventLine(line: string): EventRecord | undefined {
  try {
    const record = JSON.parse(line) as EventRecord;
    return typeof record.TimeNano === 'string' && typeof record.Type === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

const FILTER_KEYS = new Set(['container', 'event', 'image', 'label', 'pod', 'type', 'volume', 'network']);

export function compileEventFilters(filters: string[] = []): (e: EventRecord) => boolean {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (eq < 0 || !FILTER_KEYS.has(key)) throw new InvalidArgumentError(`invalid filter "${f}": use container=, event=, image=, label=, pod=, type=, volume= or network=`);
    const values = byKey.get(key) ?? [];
    values.push(f.slice(eq + 1));
    byKey.set(key, values);
  }
  const idOrName = (e: EventRecord, v: string) => e.Name === v || (v.length > 0 && e.ID.startsWith(v));
  const match = (key: string, v: string, e: EventRecord): boolean => {
    switch (key) {
      case 'container':
        return e.Type === 'container' && idOrName(e, v);
      case 'pod':
        return (e.Type === 'pod' && idOrName(e, v)) || (e.Attributes?.podId !== undefined && e.Attributes.podId.startsWith(v));
      case 'volume':
        return e.Type === 'volume' && idOrName(e, v);
      case 'network':
        return e.Type === 'network' && idOrName(e, v);
      case 'image':
        return e.Type === 'image' ? idOrName(e, v) : e.Image === v || e.Image.startsWith(`${v}:`) || e.Image.endsWith(`/${v}`) || e.Image.includes(`/${v}:`);
      case 'event':
        return e.Status === v || (v === 'die' && e.Status === 'died');
      case 'type':
        return e.Type === v;
      case 'label': {
        const eq = v.indexOf('=');
        const k = eq < 0 ? v : v.slice(0, eq);
        const have = e.Attributes?.[k];
        return have !== undefined && (eq < 0 || have === v.slice(eq + 1));
      }
      default:
        return false;
    }
  };
  return (e) => [...byKey].every(([key, values]) => values.some((v) => match(key, v, e)));
}

/**
 * Calls onEvent for each stored event matching the query, oldest first, then (when streaming)
 * for each new one, until `until` passes or the signal aborts. The follower polls: inotify is
 * not worth a watcher per process for a 100ms latency, and polling survives rotation — when the
 * path names a new inode, the old one is read to its end before switching.
 */
export async function streamEvents(
  runtime: Runtime,
  query: EventsQuery,
  onEvent: (e: EventRecord) => void,
  signal?: AbortSignal,
): Promise<void> {
  const keep = compileEventFilters(query.filters);
  const inRange = (e: EventRecord) => {
    const t = BigInt(e.TimeNano);
    return (query.sinceNano === undefined || t >= query.sinceNano) && (query.untilNano === undefined || t <= query.untilNano);
  };
  const emit = (e: EventRecord) => {
    if (inRange(e) && keep(e)) onEvent(e);
  };
  const path = eventsLogPath(runtime);
  const rotated = readWhole(`${path}.1`);
  const current = openCurrent(path);
  const lines = (buf: Buffer) => buf.toString('utf8').split('\n').filter(Boolean);
  if (rotated) for (const l of lines(rotated)) { const r = parseEventLine(l); if (r) emit(r); }
  let fd = current?.fd;
  let ino = current?.ino ?? 0;
  let pending = Buffer.alloc(0);
  const drain = (): void => {
    if (fd === undefined) return;
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSyncAt(fd, chunk);
      if (n <= 0) break;
      pending = Buffer.concat([pending, chunk.subarray(0, n)]);
    }
    const nl = pending.lastIndexOf(0x0a);
    if (nl < 0) return;
    const complete = pending.subarray(0, nl);
    pending = pending.subarray(nl + 1);
    for (const l of lines(complete)) { const r = parseEventLine(l); if (r) emit(r); }
  };
  drain();
  if (query.stream === false) {
    if (fd !== undefined) closeSync(fd);
    return;
  }
  try {
    while (!signal?.aborted) {
      if (query.untilNano !== undefined && nowNano() > query.untilNano) break;
      await new Promise<void>((resolve) => {
        const onAbort = () => { clearTimeout(t); resolve(); };
        const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, 100);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      drain();
      const st = statOrUndefined(path);
      if (st && st.ino !== ino) {
        drain();
        if (fd !== undefined) closeSync(fd);
        const next = openCurrent(path);
        fd = next?.fd;
        ino = next?.ino ?? 0;
        pending = Buffer.alloc(0);
        drain();
      }
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readSyncAt(fd: number, buf: Buffer): number {
  return readSync(fd, buf, 0, buf.length, null);
}

function readWhole(p: string): Buffer | undefined {
  try {
    return readFileSync(p);
  } catch {
    return undefined;
  }
}

function openCurrent(p: string): { fd: number; ino: number } | undefined {
  try {
    const fd = openSync(p, 'r');
    return { fd, ino: fstatSync(fd).ino };
  } catch {
    return undefined;
  }
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

interface ContainerLike {
  config: { id: string; name: string; imageName: string; imageLabels?: Record<string, string>; spec: { labels?: Record<string, string>; pod?: string } };
}

/** A container event carrying what podman's does: image, name, the labels and the pod. */
export function containerEvent(runtime: Runtime, record: ContainerLike, action: string, extra: Record<string, string> = {}): void {
  const c = record.config;
  const attributes: Record<string, string> = { ...c.imageLabels, ...c.spec.labels, ...extra };
  if (c.spec.pod) attributes.podId = c.spec.pod;
  recordEvent(runtime, { type: 'container', action, id: c.id, name: c.name, image: c.imageName, attributes });
}

/** The event sink a VolumeStore reports to. */
export function volumeEvents(runtime: Runtime): (action: string, name: string) => void {
  return (action, name) => recordEvent(runtime, { type: 'volume', action, name });
}
