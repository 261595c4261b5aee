import { pipeline } from 'node:stream/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Runtime } from '../runtime.js';
import type { VolumeCreateOptions, VolumeInspectReport, VolumeRemoveReport, VolumesEngine, VolumeUsage } from '../volumeTypes.js';
import type { ContainerRecord } from './containerRecord.js';
import { VolumeStore, type VolumeRecord } from './volumeStore.js';
import { volumeFilter } from './volumeFilters.js';
import { volumeNamesOf } from './containerVolumes.js';
import { ConflictError, NoSuchVolumeError, TspodError } from '../../util/errors.js';
import { volumeEvents } from './events.js';

/** What the volume commands need from the containers side. */
export interface VolumeUsers {
  /** Every container record (any state). */
  list(): ContainerRecord[];
  isActive(record: ContainerRecord): boolean;
  removeContainer(id: string, opts: { force: boolean; timeout?: number }): Promise<void>;
}

/** The volumes group of the local engine (the local driver only). */
export class LocalVolumes implements VolumesEngine {
  private storeInstance: VolumeStore | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly users: VolumeUsers,
  ) {}

  get store(): VolumeStore {
    this.storeInstance ??= new VolumeStore(this.runtime.store, volumeEvents(this.runtime));
    return this.storeInstance;
  }

  async create(opts: VolumeCreateOptions): Promise<VolumeInspectReport> {
    const record = this.store.create({ name: opts.name, driver: opts.driver, labels: opts.labels, options: opts.options, ignore: opts.ignore, anonymous: opts.anonymous });
    return this.report(record, () => new Map());
  }

  async list(opts: { filters?: string[] } = {}): Promise<VolumeInspectReport[]> {
    const volumes = this.store.list();
    const users = this.lazyUsersByVolume();
    const keep = volumeFilter(opts.filters ?? [], (name) => (users().get(name)?.length ?? 0) > 0);
    return volumes.filter(keep).map((v) => this.report(v, users));
  }

  async inspect(names: string[]): Promise<Array<VolumeInspectReport | Error>> {
    const users = this.lazyUsersByVolume();
    return names.map((name) => {
      const found = this.store.get(name);
      return found ? this.report(found, users) : new NoSuchVolumeError(`no such volume ${name}`);
    });
  }

  async exists(name: string): Promise<boolean> {
    return this.store.get(name) !== undefined;
  }

  /**
   * As podman: a missing volume is reported and the rest go on (exit 1); one
   * in use stops with exit 2 unless -f, which removes its containers first.
   */
  async remove(names: string[], opts: { force?: boolean; all?: boolean; timeout?: number } = {}): Promise<VolumeRemoveReport[]> {
    const reports: VolumeRemoveReport[] = [];
    const targets = opts.all ? this.store.list().map((v) => v.name) : names;
    for (const name of targets) {
      const volume = this.store.get(name);
      if (!volume) {
        reports.push({ name, error: new NoSuchVolumeError(`no volume with name "${name}" found: no such volume`) });
        continue;
      }
      const users = this.usersByVolume().get(name) ?? [];
      if (users.length > 0) {
        if (!opts.force) {
          const ids = users.map((u) => u.config.id).join(', ');
          reports.push({ name, error: new ConflictError(`volume ${name} is being used by the following container(s): ${ids}: volume is being used`, { exitCode: 2 }) });
          if (opts.all) continue;
          break;
        }
        for (const user of users) await this.users.removeContainer(user.config.id, { force: true, timeout: opts.timeout });
      }
      try {
        this.store.delete(name);
        reports.push({ name });
      } catch (e) {
        reports.push({ name, error: e as Error });
      }
    }
    return reports;
  }

  async prune(opts: { filters?: string[] } = {}): Promise<Array<{ name: string; size: number }>> {
    const users = this.usersByVolume();
    const keep = volumeFilter(opts.filters ?? [], () => false);
    const removed: Array<{ name: string; size: number }> = [];
    for (const volume of this.store.list()) {
      if ((users.get(volume.name)?.length ?? 0) > 0 || !keep(volume)) continue;
      const size = this.store.size(volume.name);
      this.store.delete(volume.name);
      removed.push({ name: volume.name, size });
    }
    return removed;
  }

  async usage(names: string[] = []): Promise<VolumeUsage[]> {
    const users = this.usersByVolume();
    const volumes = names.length ? names.map((n) => this.store.require(n)) : this.store.list();
    return volumes.map((v) => ({ name: v.name, size: this.store.size(v.name), containers: users.get(v.name)?.length ?? 0 }));
  }

  async export(name: string, out: Writable): Promise<void> {
    const volume = this.store.require(name);
    const dir = this.store.dataDir(volume.name);
    if (this.store.needsMount(volume) && !this.store.isMounted(volume.name)) {
      throw new TspodError(`volume ${name} is not mounted (no running container uses it): start a container using it to export it`);
    }
    const { packTree } = await import('./containerCopy.js');
    // Members named ./…, as Podman's `tar -C dir .` names them.
    await pipeline(packTree(dir, { rootName: '.' }), out, { end: false });
  }

  async import(name: string, input: Readable): Promise<void> {
    const volume = this.store.require(name);
    if (this.store.needsMount(volume) && !this.store.isMounted(volume.name)) {
      throw new TspodError(`volume ${name} is not mounted (no running container uses it): start a container using it to import into it`);
    }
    const { applyLayerTar } = await import('../../storage/tar/apply.js');
    const { decompressStream } = await import('../../storage/tar/decompress.js');
    const split = join(this.runtime.store.runBase, `volume-import-${process.pid}-${Date.now()}.tar-split`);
    try {
      const { stream } = await decompressStream(input);
      await applyLayerTar(stream, { targetDir: this.store.dataDir(volume.name), tarSplitPath: split, whiteoutFormat: 'delete', chown: process.getuid?.() === 0 });
    } finally {
      rmSync(split, { force: true });
    }
    this.store.markCopiedUp(volume.name);
  }

  /**
   * usersByVolume, read at the first call: reading every container record is
   * most of a volume list's cost, and only `dangling` and mounted volumes need it.
   */
  private lazyUsersByVolume(): () => Map<string, ContainerRecord[]> {
    let users: Map<string, ContainerRecord[]> | undefined;
    return () => (users ??= this.usersByVolume());
  }

  /** Volume name -> containers whose config uses it. */
  private usersByVolume(): Map<string, ContainerRecord[]> {
    const map = new Map<string, ContainerRecord[]>();
    if (!this.runtime.store.exists()) return map;
    for (const record of this.users.list()) {
      for (const name of new Set(volumeNamesOf(record.config.spec))) map.set(name, [...(map.get(name) ?? []), record]);
    }
    return map;
  }

  private report(v: VolumeRecord, users: () => Map<string, ContainerRecord[]>): VolumeInspectReport {
    const mountCount = this.store.needsMount(v) ? (users().get(v.name) ?? []).filter((r) => this.users.isActive(r)).length : 0;
    return {
      Name: v.name,
      Driver: v.driver,
      Mountpoint: this.store.dataDir(v.name),
      CreatedAt: v.created,
      Labels: sortedKeys(v.labels),
      Scope: 'local',
      Options: sortedKeys(v.options),
      // Podman's key order: Anonymous (only when true) comes before MountCount.
      ...(v.anonymous ? { Anonymous: true } : {}),
      MountCount: mountCount,
      // omitempty in Podman: false is left out.
      ...(v.needsCopyUp ? { NeedsCopyUp: true } : {}),
      ...(v.needsChown ? { NeedsChown: true } : {}),
    };
  }
}

/** Go marshals maps with sorted keys. */
function sortedKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
