import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Store } from '../../storage/store.js';
import { isMountPoint } from '../../storage/containerLayer.js';
import { LOCK, MNT, MS, syscalls } from '../../os/syscalls.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { ConflictError, InvalidArgumentError, NoSuchVolumeError } from '../../util/errors.js';
import { treeBytes } from '../../util/diskUsage.js';

/** One row of the volumes table. */
export interface VolumeRecord {
  name: string;
  driver: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  anonymous: boolean;
  needsCopyUp: boolean;
  needsChown: boolean;
}

interface Row {
  name: string;
  driver: string;
  created: string;
  labels: string;
  options: string;
  anonymous: number;
  needs_copy_up: number;
  needs_chown: number;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** -o keys the local driver knows (as Podman 4.3's). */
const OPTION_KEYS = ['type', 'device', 'o', 'nocopy', 'uid', 'gid', 'size', 'inodes', 'noquota', 'copy', 'UID', 'GID'];
/** mount(8) words in `o=` that are mount(2) flags; the rest go to the filesystem as data. */
const FLAG_WORDS: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS, dirsync: MS.DIRSYNC,
  noatime: MS.NOATIME, nodiratime: MS.NODIRATIME, relatime: MS.RELATIME, strictatime: MS.STRICTATIME, bind: MS.BIND, rbind: MS.BIND | MS.REC,
};
const IGNORED_WORDS = new Set(['rw', 'suid', 'dev', 'exec', 'async', 'defaults']);

/**
 * Volumes on one storage root: rows in the state database, data at
 * `<graphroot>/volumes/<name>/_data` as Podman keeps it. A volume with
 * type=/device= options is a mount made on its _data while a container uses it.
 */
export class VolumeStore {
  constructor(
    private readonly store: Store,
    /** Told of each volume really created, removed, mounted or unmounted (the event journal). */
    private readonly onEvent: (action: 'create' | 'remove' | 'mount' | 'unmount', name: string) => void = () => {},
  ) {}

  get root(): string {
    return join(this.store.options.graphRoot, 'volumes');
  }

  dataDir(name: string): string {
    return join(this.root, name, '_data');
  }

  private lockFile(name: string): string {
    return join(this.store.runBase, 'volume-locks', name);
  }

  create(opts: { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string>; anonymous?: boolean; ignore?: boolean }): VolumeRecord {
    return this.createOrFind(opts).volume;
  }

  /** A volume of that name, created unless it exists; `created` says which (a failed container create undoes only its own). */
  ensure(name: string): { volume: VolumeRecord; created: boolean } {
    return this.createOrFind({ name, ignore: true });
  }

  private createOrFind(opts: { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string>; anonymous?: boolean; ignore?: boolean }): {
    volume: VolumeRecord;
    created: boolean;
  } {
    const driver = opts.driver ?? 'local';
    if (driver !== 'local') throw new InvalidArgumentError(`volume driver "${driver}" is not supported: use the local driver`);
    const name = opts.name ?? randomBytes(32).toString('hex');
    if (!NAME.test(name)) throw new InvalidArgumentError(`volume name "${name}" is invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    const options = { ...(opts.options ?? {}) };
    const owner = validateOptions(options);
    // As Podman: an owner given in o= shows as UID/GID options and needs no chown at first use.
    const ownerInO = options.type === undefined && owner !== undefined && options.o !== undefined;
    if (ownerInO) {
      options.UID = String(owner.uid);
      options.GID = String(owner.gid);
    }
    const record: VolumeRecord = {
      name,
      driver,
      created: nowRfc3339Nano(),
      labels: opts.labels ?? {},
      options,
      anonymous: opts.anonymous === true,
      // As Podman 4.3 shows it: -o nocopy is honoured at first use, the flag stays.
      needsCopyUp: true,
      needsChown: !ownerInO,
    };
    const existing = this.store.write(() => {
      const found = this.get(name);
      if (found) return found;
      this.store.db
        .prepare('INSERT INTO volumes (name, driver, created, labels, options, anonymous, needs_copy_up, needs_chown) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(name, driver, record.created, JSON.stringify(record.labels), JSON.stringify(options), record.anonymous ? 1 : 0, record.needsCopyUp ? 1 : 0, record.needsChown ? 1 : 0);
      return undefined;
    });
    if (existing) {
      if (!opts.ignore) throw new ConflictError(`volume with name ${name} already exists: volume already exists`);
      // Its creator may be between its insert and its mkdir.
      mkdirSync(this.dataDir(name), { recursive: true, mode: 0o755 });
      return { volume: existing, created: false };
    }
    try {
      const data = this.dataDir(name);
      mkdirSync(dirname(dirname(data)), { recursive: true, mode: 0o700 });
      try {
        // Podman keeps its volumes in the same directory when both share a graph root:
        // a directory tspod did not make is never taken over.
        mkdirSync(dirname(data), { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        throw new ConflictError(`volume directory ${dirname(data)} exists but is not a tspod volume (another engine's, or left over): choose another name or remove that directory`);
      }
      mkdirSync(data, { recursive: true, mode: 0o755 });
      if (owner) chownSync(data, owner.uid, owner.gid);
    } catch (e) {
      this.store.write(() => this.store.db.prepare('DELETE FROM volumes WHERE name = ?').run(name));
      throw e;
    }
    this.onEvent('create', name);
    return { volume: record, created: true };
  }

  /** undefined also when there is no state database yet (nothing is created to find that out). */
  get(name: string): VolumeRecord | undefined {
    if (!this.store.exists()) return undefined;
    const row = this.store.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
    return row && toRecord(row);
  }

  require(name: string): VolumeRecord {
    const found = this.get(name);
    if (!found) throw new NoSuchVolumeError(`no volume with name "${name}" found: no such volume`);
    return found;
  }

  list(): VolumeRecord[] {
    if (!this.store.exists()) return [];
    return (this.store.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[]).map(toRecord);
  }

  /** Unmounts, forgets the volume and deletes its data (a kill in between leaves only an unlisted directory). */
  delete(name: string): void {
    this.withLock(name, () => {
      this.unmountLocked(name);
      this.store.write(() => this.store.db.prepare('DELETE FROM volumes WHERE name = ?').run(name));
      rmSync(join(this.root, name), { recursive: true, force: true });
    });
    this.onEvent('remove', name);
    rmSync(this.lockFile(name), { force: true });
  }

  /** Copy-up happened (or is not wanted any more): later containers see the volume as it is. */
  markCopiedUp(name: string): void {
    this.store.write(() => this.store.db.prepare('UPDATE volumes SET needs_copy_up = 0, needs_chown = 0 WHERE name = ?').run(name));
  }

  needsMount(volume: VolumeRecord): boolean {
    return volume.options.type !== undefined || volume.options.device !== undefined;
  }

  isMounted(name: string): boolean {
    return isMountPoint(this.dataDir(name));
  }

  /** Mounts a type=/device= volume on its _data unless it is mounted already. */
  mount(volume: VolumeRecord): void {
    // A create killed between its insert and its mkdir left no directory.
    mkdirSync(this.dataDir(volume.name), { recursive: true, mode: 0o755 });
    if (!this.needsMount(volume)) return;
    this.withLock(volume.name, () => {
      const target = this.dataDir(volume.name);
      if (isMountPoint(target)) return;
      mkdirSync(target, { recursive: true, mode: 0o755 });
      const { flags, data } = mountFlags(volume.options.o ?? '');
      const type = volume.options.type ?? '';
      const device = volume.options.device ?? (type === 'tmpfs' ? 'tmpfs' : '');
      if (!device) throw new InvalidArgumentError(`volume ${volume.name} has a type but no device: recreate it with -o device=...`);
      try {
        syscalls().mount(device, target, type === 'bind' ? '' : type, flags | (type === 'bind' ? MS.BIND : 0), data);
      } catch (e) {
        throw new InvalidArgumentError(`mounting volume ${volume.name} (${type || 'auto'} ${device}): ${(e as Error).message}: check the volume's -o options`);
      }
      this.onEvent('mount', volume.name);
    });
  }

  /** `stillUsed` is asked under the volume's lock, so a container starting meanwhile keeps it mounted. */
  unmountIfUnused(volume: VolumeRecord, stillUsed: () => boolean): void {
    if (!this.needsMount(volume)) return;
    this.withLock(volume.name, () => {
      if (!stillUsed()) this.unmountLocked(volume.name);
    });
  }

  private unmountLocked(name: string): void {
    const target = this.dataDir(name);
    if (isMountPoint(target)) this.onEvent('unmount', name);
    for (let i = 0; i < 10 && isMountPoint(target); i++) {
      try {
        syscalls().umount2(target, 0);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ENOENT') return;
        if (code === 'EBUSY') syscalls().umount2(target, MNT.DETACH);
        else throw e;
      }
    }
  }

  /** Apparent bytes of the regular files under the volume's data (not following links, not crossing into nothing). */
  size(name: string): number {
    return treeBytes(this.dataDir(name));
  }

  private withLock<T>(name: string, fn: () => T): T {
    const path = this.lockFile(name);
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a');
    try {
      syscalls().flock(fd, LOCK.EX);
      return fn();
    } finally {
      closeSync(fd);
    }
  }
}

function toRecord(row: Row): VolumeRecord {
  return {
    name: row.name,
    driver: row.driver,
    created: row.created,
    labels: JSON.parse(row.labels) as Record<string, string>,
    options: JSON.parse(row.options) as Record<string, string>,
    anonymous: row.anonymous === 1,
    needsCopyUp: row.needs_copy_up === 1,
    needsChown: row.needs_chown === 1,
  };
}

/** Checks -o options; returns the owner that uid=/gid= (or o=uid=,gid= on a plain volume) ask for. */
function validateOptions(options: Record<string, string>): { uid: number; gid: number } | undefined {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new InvalidArgumentError(`unrecognized volume option "${key}" is not supported with local driver: use type, device, o, uid, gid or nocopy`);
  }
  for (const key of ['uid', 'gid']) {
    const v = options[key];
    if (v !== undefined && !/^\d+$/.test(v)) throw new InvalidArgumentError(`cannot convert ${key} "${v}" to integer: give a numeric id`);
  }
  if ((options.type !== undefined) !== (options.device !== undefined) && options.type !== 'tmpfs') {
    throw new InvalidArgumentError('volume options type and device must be given together (except type=tmpfs)');
  }
  const owner: { uid?: string; gid?: string } = { uid: options.uid, gid: options.gid };
  // o=uid=N,gid=N on a plain volume sets its owner, as in Podman.
  if (options.type === undefined && options.o !== undefined) {
    for (const word of options.o.split(',')) {
      const [k, v] = word.split('=');
      if ((k === 'uid' || k === 'gid') && v !== undefined && /^\d+$/.test(v)) owner[k] = v;
      else if (k === 'size' || k === 'inodes') throw new InvalidArgumentError(`volume options ${k} not supported: the filesystem does not support project quota`);
      else throw new InvalidArgumentError(`invalid mount option "${word}" for a volume without type=: give type= and device= to mount it`);
    }
  }
  if (owner.uid === undefined && owner.gid === undefined) return undefined;
  return { uid: Number(owner.uid ?? 0), gid: Number(owner.gid ?? 0) };
}

function mountFlags(o: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const word of o.split(',').filter(Boolean)) {
    const flag = FLAG_WORDS[word];
    if (flag !== undefined) flags |= flag;
    else if (!IGNORED_WORDS.has(word)) data.push(word);
  }
  return { flags, data: data.join(',') };
}

