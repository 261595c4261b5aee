import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ContainerSpec, MountSpec } from '../spec/containerSpec.js';
import type { ContainerConfig, ContainerRecord } from './containerRecord.js';
import type { VolumeStore } from './volumeStore.js';
import type { SecretStore } from './secretStore.js';
import { resolveInRoot } from './containerFiles.js';
import { InvalidArgumentError, NoSuchContainerError, NoSuchSecretError, TspodError } from '../../util/errors.js';

/** Mount options that steer tspod, not the kernel. */
const VOLUME_ONLY_OPTIONS = new Set(['nocopy', 'copy', 'U', 'z', 'Z', 'O']);

/** What the volume hooks need of the containers. */
export interface ContainerLookup {
  lookup(nameOrId: string): ContainerRecord | undefined;
  list(): ContainerRecord[];
  /** Whether the container is running (or paused, or initialized) right now. */
  isActive(record: ContainerRecord): boolean;
}

/** The volume names a container's config uses (named and anonymous). */
export function volumeNamesOf(spec: ContainerSpec): string[] {
  return (spec.mounts ?? []).filter((m) => m.type === 'volume' && m.source).map((m) => m.source!);
}

/**
 * Volumes and secrets around a container's life: resolved at create (volumes
 * made on demand, anonymous ones, --volumes-from, secret ids), turned into
 * bind mounts of their host paths at start, unmounted when the last user stops.
 */
export class ContainerVolumes {
  constructor(
    private readonly volumes: VolumeStore,
    private readonly secrets: SecretStore,
    private readonly containers: ContainerLookup,
  ) {}

  /**
   * The spec to record: volume mounts name existing volumes. Returns the
   * volumes it created, for the caller to remove if the create fails later.
   */
  resolveForCreate(spec: ContainerSpec, imageVolumes: string[]): { spec: ContainerSpec; created: string[] } {
    const created: string[] = [];
    try {
      const mounts: MountSpec[] = [...(spec.mounts ?? [])];
      const taken = new Set(mounts.map((m) => posix.normalize(m.destination)));
      for (const from of spec.volumesFrom ?? []) {
        for (const m of this.mountsFrom(from)) {
          if (taken.has(posix.normalize(m.destination))) continue;
          taken.add(posix.normalize(m.destination));
          mounts.push(m);
        }
      }
      for (const dest of imageVolumes) {
        if (taken.has(posix.normalize(dest))) continue;
        taken.add(posix.normalize(dest));
        mounts.push({ type: 'volume', destination: posix.normalize(dest), options: [] });
      }
      const resolved = mounts.map((m) => {
        if (m.type !== 'volume') return m;
        if (m.source === undefined) {
          const volume = this.volumes.create({ anonymous: true });
          created.push(volume.name);
          return { ...m, source: volume.name };
        }
        if (this.volumes.ensure(m.source).created) created.push(m.source);
        return m;
      });
      const secrets = (spec.secrets ?? []).map((s) => {
        const found = this.secrets.lookup(s.name);
        if (!found) throw new NoSuchSecretError(`no secret with name or id "${s.name}": no such secret`);
        return { ...s, name: found.name, id: found.id };
      });
      const out: ContainerSpec = { ...spec };
      if (resolved.length) out.mounts = resolved;
      if (secrets.length) out.secrets = secrets;
      return { spec: out, created };
    } catch (e) {
      this.forget(created);
      throw e;
    }
  }

  /** Removes volumes a failed create made. */
  forget(names: string[]): void {
    for (const name of names) {
      try {
        this.volumes.delete(name);
      } catch {
        // best effort: prune finds what is left
      }
    }
  }

  /** The other container's volumes and binds, with its mode unless :ro/:rw says otherwise. */
  private mountsFrom(from: string): MountSpec[] {
    const [name = '', mode] = from.split(':');
    if (mode !== undefined && !['ro', 'rw', 'z', 'Z'].includes(mode)) {
      throw new InvalidArgumentError(`invalid options "${mode}" in --volumes-from ${from}: use ro or rw`);
    }
    const other = this.containers.lookup(name);
    if (!other) throw new NoSuchContainerError(`no container with name or ID "${name}" found: no such container`);
    return (other.config.spec.mounts ?? [])
      .filter((m) => m.type === 'volume' || m.type === 'bind')
      .map((m) => {
        if (mode !== 'ro' && mode !== 'rw') return { ...m, options: [...m.options] };
        return { ...m, options: [...m.options.filter((o) => o !== 'ro' && o !== 'rw'), ...(mode === 'ro' ? ['ro'] : [])] };
      });
  }

  /**
   * At start, after the root filesystem is mounted: volumes mounted (type=...)
   * and filled from the image on first use, secrets written to the bundle; the
   * config handed to the OCI spec has them as bind mounts and variables.
   */
  prepareForStart(config: ContainerConfig, rootfs: string, bundle: string, user: { uid: number; gid: number }): ContainerConfig {
    const spec = config.spec;
    if (!spec.mounts?.some((m) => m.type === 'volume') && !spec.secrets?.length) return config;
    try {
      return this.prepareVolumesAndSecrets(config, rootfs, bundle, user);
    } catch (e) {
      this.release(config);
      throw e;
    }
  }

  private prepareVolumesAndSecrets(config: ContainerConfig, rootfs: string, bundle: string, user: { uid: number; gid: number }): ContainerConfig {
    const spec = config.spec;
    const mounts: MountSpec[] = [];
    for (const m of spec.mounts ?? []) {
      if (m.type !== 'volume') {
        mounts.push(m);
        continue;
      }
      const volume = this.volumes.require(m.source!);
      this.volumes.mount(volume);
      const data = this.volumes.dataDir(volume.name);
      if (volume.needsCopyUp) {
        if (!m.options.includes('nocopy') && volume.options.nocopy === undefined) copyUp(rootfs, m.destination, data);
        this.volumes.markCopiedUp(volume.name);
      }
      if (m.options.includes('U')) chownTree(data, user.uid, user.gid);
      const options = ['rbind', ...m.options.filter((o) => !VOLUME_ONLY_OPTIONS.has(o))];
      if (!options.includes('ro') && !options.includes('rw')) options.push('rw');
      mounts.push({ type: 'bind', source: data, destination: m.destination, options: ['nosuid', 'nodev', ...options] });
    }
    const env = [...config.process.env];
    if (spec.secrets?.length) {
      const dir = join(bundle, 'secrets');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const [index, s] of spec.secrets.entries()) {
        let data: Buffer;
        try {
          // By id as recorded; a secret replaced (--replace) since is found by its name.
          const current = (s.id !== undefined ? this.secrets.lookup(s.id) : undefined) ?? this.secrets.require(s.name);
          data = this.secrets.data(current.id);
        } catch {
          throw new NoSuchSecretError(`secret ${s.name} used by container ${config.name} is gone: no such secret: recreate it or the container`);
        }
        if (s.type === 'env') {
          env.push(`${s.target}=${data.toString()}`);
          continue;
        }
        // One file per use: the same secret may be mounted twice with different owners and modes.
        const file = join(dir, `${index}-${s.id ?? s.name}`);
        rmSync(file, { force: true });
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, data);
        } finally {
          closeSync(fd);
        }
        chownSync(file, s.uid, s.gid);
        chmodSync(file, s.mode);
        const destination = s.target.startsWith('/') ? s.target : posix.join('/run/secrets', s.target);
        mounts.push({ type: 'bind', source: file, destination, options: ['bind', 'ro', 'rprivate', 'nosuid', 'nodev', 'noexec'] });
      }
    }
    return { ...config, spec: { ...spec, mounts }, process: { ...config.process, env } };
  }

  /** After a container stopped: its mounted volumes are unmounted when no other running container uses them. */
  release(config: ContainerConfig): void {
    for (const name of volumeNamesOf(config.spec)) {
      const volume = this.volumes.get(name);
      if (!volume || !this.volumes.needsMount(volume)) continue;
      this.volumes.unmountIfUnused(volume, () =>
        this.containers.list().some((r) => r.config.id !== config.id && volumeNamesOf(r.config.spec).includes(name) && this.containers.isActive(r)),
      );
    }
  }

  /** rm -v: the container's anonymous volumes go with it (unless another container uses one). */
  removeAnonymous(config: ContainerConfig): void {
    for (const name of volumeNamesOf(config.spec)) {
      const volume = this.volumes.get(name);
      if (!volume?.anonymous) continue;
      const others = this.containers.list().filter((r) => r.config.id !== config.id && volumeNamesOf(r.config.spec).includes(name));
      if (others.length === 0) this.volumes.delete(name);
    }
  }
}

/** First use: an empty volume gets the image's files at the mount point (owner, mode and all). */
function copyUp(rootfs: string, destination: string, data: string): void {
  let source: string;
  try {
    source = resolveInRoot(rootfs, destination);
  } catch {
    return;
  }
  if (!existsSync(source) || !lstatSync(source).isDirectory()) return;
  const st = lstatSync(source);
  chownSync(data, st.uid, st.gid);
  chmodSync(data, st.mode & 0o7777);
  if (readdirSync(data).length > 0 || readdirSync(source).length === 0) return;
  const r = spawnSync('cp', ['-a', '--', `${source}/.`, `${data}/`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new TspodError(`copying ${destination} from the image into its volume: ${(r.stderr || r.error?.message || '').trim()}: check the space left under the storage root`);
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  const st = lstatSync(path);
  if (st.uid === uid && st.gid === gid) return;
  const r = spawnSync('chown', ['-R', '-h', `${uid}:${gid}`, '--', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new TspodError(`chown of volume at ${path}: ${r.stderr.trim()}: check the volume's files`);
}

/** inspect's Mounts: binds and volumes (tmpfs are not listed), sorted by destination as Podman does. */
export function inspectMounts(mounts: MountSpec[], graphRoot: string): Array<Record<string, unknown>> {
  const propagation = (m: MountSpec) => m.options.find((o) => /^r?(private|shared|slave)$/.test(o)) ?? 'rprivate';
  return mounts
    .filter((m) => m.type === 'bind' || m.type === 'volume')
    .map((m) =>
      m.type === 'bind'
        ? {
            Type: 'bind',
            Source: m.source ?? '',
            Destination: m.destination,
            Driver: '',
            Mode: '',
            Options: m.options.filter((o) => o !== 'ro' && o !== 'rw'),
            RW: !m.options.includes('ro'),
            Propagation: propagation(m),
          }
        : {
            Type: 'volume',
            Name: m.source ?? '',
            Source: join(graphRoot, 'volumes', m.source ?? '', '_data'),
            Destination: m.destination,
            Driver: 'local',
            Mode: '',
            Options: ['nosuid', 'nodev', 'rbind', ...m.options.filter((o) => !['ro', 'rw', 'nosuid', 'nodev'].includes(o) && !VOLUME_ONLY_OPTIONS.has(o))],
            RW: !m.options.includes('ro'),
            Propagation: propagation(m),
          },
    )
    .sort((a, b) => (a.Destination < b.Destination ? -1 : a.Destination > b.Destination ? 1 : 0));
}

/** inspect's HostConfig.Binds entries of volumes, as Podman lists them (last given first). */
export function volumeBinds(mounts: MountSpec[]): string[] {
  return mounts
    .filter((m) => m.type === 'volume')
    .reverse()
    .map((m) => {
      const extra = m.options.filter((o) => !['ro', 'rw', 'nosuid', 'nodev', 'rprivate'].includes(o) && !VOLUME_ONLY_OPTIONS.has(o));
      return `${m.source ?? ''}:${m.destination}:${[m.options.includes('ro') ? 'ro' : 'rw', 'rprivate', 'nosuid', 'nodev', 'rbind', ...extra].join(',')}`;
    });
}
