import { posix, resolve as resolveHost } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMountPoint } from '../../storage/containerLayer.js';
import { InvalidArgumentError, NoSuchPathError } from '../../util/errors.js';
import type { ContainerActionReport, ContainerCopyOptions, ContainerPathStat, FileChange } from '../types.js';
import { copyBetween, copyFromArchive, copyToArchive, packTree } from './containerCopy.js';
import { containerTree, mountDestinations, mountRootfs, withRootfs } from './containerFs.js';
import type { ContainerRuntime } from './containerRuntime.js';
import { RootedTree } from './containerRootfs.js';
import { resolveUser } from './containerFiles.js';
import { containerEvent } from './events.js';

const rootful = () => process.getuid?.() === 0;

/** The host as a tree rooted at `/` (a host path is the user's own: no confinement). */
function hostTree(): RootedTree {
  return new RootedTree([{ destination: '/', host: '/' }]);
}

/** A host path made absolute, keeping a trailing `/` or `/.` the cp semantics depend on. */
function absoluteHost(path: string): string {
  const abs = resolveHost(path);
  if (path.endsWith('/.')) return abs === '/' ? '/.' : abs + '/.';
  if (path.endsWith('/') && abs !== '/') return abs + '/';
  return abs;
}

function containerPath(path: string): string {
  return path.startsWith('/') ? path : '/' + path;
}

export async function copyFrom(
  rt: ContainerRuntime,
  nameOrId: string,
  path: string,
  destination: { hostPath: string } | { stream: NodeJS.WritableStream },
  opts: ContainerCopyOptions,
): Promise<void> {
  await withRootfs(rt, nameOrId, async (record, rootfs) => {
    const src = { tree: containerTree(rt, record, rootfs), path: containerPath(path), where: `on container ${nameOrId}` };
    if ('stream' in destination) return copyToArchive(src, destination.stream);
    const dest = absoluteHost(destination.hostPath);
    await copyBetween(src, { tree: hostTree(), path: dest, where: 'on the host', confine: true }, {
      overwrite: opts.overwrite === true,
      // On the host, copies belong to the user who copied them (as with Podman).
      owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      chown: rootful(),
    });
  });
}

export async function copyTo(
  rt: ContainerRuntime,
  nameOrId: string,
  path: string,
  source: { hostPath: string } | { stream: Readable },
  opts: ContainerCopyOptions,
): Promise<void> {
  await withRootfs(rt, nameOrId, async (record, rootfs) => {
    const dst = { tree: containerTree(rt, record, rootfs), path: containerPath(path), where: `on container ${nameOrId}` };
    // --archive (the default): copies belong to the container's primary user; else they keep their ids.
    let owner: { uid: number; gid: number } | 'archive' = 'archive';
    if (opts.archive !== false) {
      const user = resolveUser(rootfs, record.config.process.user || '0');
      owner = { uid: user.uid, gid: user.gid };
    }
    const copyOpts = { overwrite: opts.overwrite === true, owner, chown: rootful() };
    if ('stream' in source) return copyFromArchive(source.stream, dst, copyOpts);
    await copyBetween({ tree: hostTree(), path: absoluteHost(source.hostPath), where: 'on the host' }, dst, copyOpts);
  });
}

export async function statPath(rt: ContainerRuntime, nameOrId: string, path: string): Promise<ContainerPathStat> {
  return withRootfs(rt, nameOrId, async (record, rootfs) => {
    const tree = containerTree(rt, record, rootfs);
    const wanted = containerPath(path);
    const found = tree.resolve(wanted, wanted.endsWith('/') || wanted.endsWith('/.'));
    if (!found.stat) throw new NoSuchPathError(`"${path}" could not be found on container ${nameOrId}: no such file or directory`);
    const linkTarget = found.stat.isSymbolicLink() ? tree.resolve(wanted, true).path : '';
    return {
      name: posix.basename(posix.normalize(wanted)) || '/',
      size: found.stat.size,
      mode: found.stat.mode,
      mtime: found.stat.mtime.toISOString(),
      linkTarget,
    };
  });
}

export async function containerDiff(rt: ContainerRuntime, nameOrId: string): Promise<FileChange[]> {
  const record = rt.db.require(nameOrId);
  const { layerChanges, RUNTIME_INODES } = await import('../../storage/layerDiff.js');
  const image = rt.runtime.store.getImage(record.config.imageId);
  const lowers = image ? rt.runtime.store.layerChain(image.topLayer).map((l) => rt.runtime.store.layerDiffDir(l.id)) : [];
  return layerChanges(rt.layers.upperDir(record.config.id), lowers, { exclude: new Set(), hide: RUNTIME_INODES });
}

/** What a container's runtime mounts over its root filesystem: not part of its changes. */
export function excludedPaths(record: import('./containerRecord.js').ContainerRecord): Set<string> {
  return new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/run/.containerenv', ...mountDestinations(record)]);
}

export async function exportContainer(rt: ContainerRuntime, nameOrId: string, out: NodeJS.WritableStream): Promise<void> {
  await withRootfs(rt, nameOrId, async (_record, rootfs) => {
    await pipeline(packTree(rootfs, { rootName: '' }), out as unknown as Writable);
  });
}

export async function mountContainers(rt: ContainerRuntime, names: string[], opts: { all?: boolean }): Promise<Array<ContainerActionReport & { path?: string }>> {
  if (names.length === 0 && !opts.all) {
    return rt.db
      .list()
      .filter((r) => isMountPoint(rt.layers.mergedDir(r.config.id)))
      .map((r) => ({ name: r.config.name, id: r.config.id, path: rt.layers.mergedDir(r.config.id) }));
  }
  const targets = opts.all ? rt.db.list().map((r) => r.config.id) : names;
  const reports: Array<ContainerActionReport & { path?: string }> = [];
  for (const name of targets) {
    try {
      const id = rt.db.require(name).config.id;
      const path = await rt.withLockAsync(id, async () => {
        const mounted = mountRootfs(rt, rt.db.require(id));
        rt.db.updateState(id, (s) => ({ ...s, userMounts: (s.userMounts ?? 0) + 1 }));
        return mounted;
      });
      containerEvent(rt.runtime, rt.db.require(id), 'mount');
      reports.push({ name, id, path });
    } catch (e) {
      reports.push({ name, error: e as Error });
    }
  }
  return reports;
}

export async function unmountContainers(rt: ContainerRuntime, names: string[], opts: { all?: boolean; force?: boolean }): Promise<ContainerActionReport[]> {
  if (names.length === 0 && !opts.all) throw new InvalidArgumentError('container name or ID must be specified: or use --all');
  const targets = opts.all ? rt.db.list().filter((r) => isMountPoint(rt.layers.mergedDir(r.config.id))).map((r) => r.config.id) : names;
  const reports: ContainerActionReport[] = [];
  for (const name of targets) {
    try {
      const id = rt.db.require(name).config.id;
      await rt.withLockAsync(id, async () => {
        const record = rt.db.require(id);
        const left = opts.force ? 0 : Math.max(0, (record.state.userMounts ?? 0) - 1);
        rt.db.updateState(id, (s) => ({ ...s, userMounts: left }));
        const status = rt.observe(record).state.status;
        // A running container's root filesystem stays mounted while it runs, and
        // a stopped one's while other `mount` calls still hold it.
        if (status === 'running' || status === 'paused' || left > 0) return;
        rt.layers.unmount(id);
        containerEvent(rt.runtime, record, 'unmount');
      });
      reports.push({ name, id });
    } catch (e) {
      reports.push({ name, error: e as Error });
    }
  }
  return reports;
}
