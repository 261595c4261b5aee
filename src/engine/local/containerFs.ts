import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isMountPoint } from '../../storage/containerLayer.js';
import { TspodError } from '../../util/errors.js';
import type { ContainerRecord } from './containerRecord.js';
import type { ContainerRuntime } from './containerRuntime.js';
import { RootedTree, type RootMount } from './containerRootfs.js';

/** The container's mounts seen from the host: its root filesystem, volumes' _data and bind sources. */
export function containerTree(rt: ContainerRuntime, record: ContainerRecord, rootfs: string): RootedTree {
  const mounts: RootMount[] = [{ destination: '/', host: rootfs }];
  const graphRoot = rt.runtime.store.options.graphRoot;
  const status = rt.observe(record).state.status;
  const running = status === 'running' || status === 'paused';
  if (running) {
    // The files tspod bind-mounts over the rootfs's empty mount points.
    const userdata = rt.layers.userdata(record.config.id);
    for (const [destination, file] of [['/etc/hosts', 'hosts'], ['/etc/hostname', 'hostname'], ['/etc/resolv.conf', 'resolv.conf'], ['/run/.containerenv', '.containerenv']] as const) {
      if (existsSync(join(userdata, file))) mounts.push({ destination, host: join(userdata, file) });
    }
  }
  for (const m of record.config.spec.mounts ?? []) {
    if (m.type === 'tmpfs') {
      // Only the container's mount namespace has it while it runs; stopped, the path is the rootfs's.
      if (running) mounts.push({ destination: m.destination, host: null });
      continue;
    }
    if (!m.source) continue;
    if (m.type === 'volume') mounts.push({ destination: m.destination, host: join(graphRoot, 'volumes', m.source, '_data') });
    else if (m.type === 'bind') mounts.push({ destination: m.destination, host: m.source });
  }
  return new RootedTree(mounts);
}

/** Paths of the container that are mount points (volumes, binds, tmpfs): commit and diff leave them out. */
export function mountDestinations(record: ContainerRecord): string[] {
  return (record.config.spec.mounts ?? []).map((m) => posix.normalize('/' + m.destination));
}

/**
 * Runs fn with the container's root filesystem mounted, holding its lock so
 * it cannot start or be removed meanwhile. A root filesystem this call mounted
 * is unmounted afterwards.
 */
export async function withRootfs<T>(rt: ContainerRuntime, nameOrId: string, fn: (record: ContainerRecord, rootfs: string) => Promise<T>): Promise<T> {
  const id = rt.db.require(nameOrId).config.id;
  return rt.withLockAsync(id, async () => {
    const record = rt.db.require(id);
    const merged = rt.layers.mergedDir(id);
    const wasMounted = isMountPoint(merged);
    const rootfs = wasMounted ? merged : mountRootfs(rt, record);
    try {
      return await fn(record, rootfs);
    } finally {
      if (!wasMounted) rt.layers.unmount(id);
    }
  });
}

export function mountRootfs(rt: ContainerRuntime, record: ContainerRecord): string {
  const image = rt.runtime.store.getImage(record.config.imageId);
  if (!image) throw new TspodError(`image ${record.config.imageId} of container ${record.config.name} is gone from storage: remove the container`);
  return rt.layers.mount(record.config.id, image.topLayer);
}
