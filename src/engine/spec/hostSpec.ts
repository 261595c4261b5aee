/**
 * What `--ulimit`, `--device`, `--sysctl` and `--log-driver`/`--log-opt`
 * mean, as Podman reads them: shared by the CLI flags, Compose files and
 * the engine's checks at create.
 */
import { existsSync, statSync } from 'node:fs';
import type { ContainerSpec, DeviceSpec, UlimitSpec } from './containerSpec.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { fromHumanSize } from '../../util/units.js';

const RLIMIT_NAMES: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
  as: 'RLIMIT_AS',
};

export const ULIMIT_NAMES = Object.keys(RLIMIT_NAMES);

/** `nofile`, `RLIMIT_NOFILE` -> `RLIMIT_NOFILE`; undefined for an unknown name. */
export function rlimitType(name: string): string | undefined {
  return RLIMIT_NAMES[name.toLowerCase().replace(/^rlimit_/, '')];
}

/** A ulimit checked: a known name, soft not above hard (-1 is unlimited). */
export function ulimit(name: string, soft: number, hard: number): UlimitSpec {
  if (!rlimitType(name)) throw new InvalidArgumentError(`invalid ulimit type "${name}": use one of ${ULIMIT_NAMES.join(', ')}`);
  if (!Number.isInteger(soft) || !Number.isInteger(hard)) throw new InvalidArgumentError(`invalid ulimit ${name}: give whole numbers, -1 for unlimited`);
  if (hard >= 0 && (soft < 0 || soft > hard)) throw new InvalidArgumentError(`invalid ulimit ${name}: the soft limit ${soft} is above the hard limit ${hard}`);
  return { name: name.toLowerCase(), soft, hard };
}

const DEVICE_MODE = /^[rwm]{1,3}$/;

function isDeviceMode(text: string): boolean {
  return DEVICE_MODE.test(text) && new Set(text).size === text.length;
}

/** `HOST[:CONTAINER][:PERMISSIONS]` (permissions some of r, w, m; default rwm). */
export function parseDevice(text: string): DeviceSpec {
  const parts = text.split(':');
  if (parts.length > 3 || !parts[0]) throw new InvalidArgumentError(`invalid device "${text}": use HOST[:CONTAINER][:PERMISSIONS]`);
  const source = parts[0];
  let destination = source;
  let permissions = 'rwm';
  if (parts.length === 3) {
    if (!isDeviceMode(parts[2]!)) throw new InvalidArgumentError(`invalid device mode "${parts[2]}" in ${text}: use some of r, w and m`);
    permissions = parts[2]!;
  }
  if (parts.length >= 2) {
    const second = parts[1]!;
    if (parts.length === 2 && isDeviceMode(second)) permissions = second;
    else if (second.startsWith('/')) destination = second;
    else throw new InvalidArgumentError(`invalid device "${text}": the container path must be absolute`);
  }
  if (!source.startsWith('/')) throw new InvalidArgumentError(`invalid device "${text}": the host path must be absolute`);
  return { source, destination, permissions };
}

/** At create: each host device exists and is a device node or a folder of them. */
export function checkDevices(devices: DeviceSpec[]): void {
  for (const d of devices) {
    if (!existsSync(d.source)) throw new InvalidArgumentError(`device ${d.source} does not exist on the host: give an existing device node`);
    const st = statSync(d.source);
    if (!st.isCharacterDevice() && !st.isBlockDevice() && !st.isDirectory()) {
      throw new InvalidArgumentError(`${d.source} is not a device node or a folder of them: give a device such as /dev/fuse`);
    }
  }
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const SYSCTL_PREFIXES = ['net.', 'fs.mqueue.'];

/** A sysctl a container may set: namespaced ones only, as Podman allows. */
export function checkSysctl(key: string, value: string): void {
  if (key.trim() !== key || value.trim() !== value || key === '') throw new InvalidArgumentError(`invalid sysctl "${key}=${value}": use KEY=VALUE without spaces`);
  if (!IPC_SYSCTLS.has(key) && !SYSCTL_PREFIXES.some((p) => key.startsWith(p))) {
    throw new InvalidArgumentError(`sysctl "${key}" is not allowed: only namespaced ones (net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*) can be set for a container`);
  }
}

/** `KEY=VALUE` entries of --sysctl. */
export function parseSysctls(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`invalid sysctl "${entry}": sysctl values must be in the form of KEY=VALUE`);
    const [key, value] = [entry.slice(0, eq), entry.slice(eq + 1)];
    checkSysctl(key, value);
    out[key] = value;
  }
  return out;
}

/** At create: net.* sysctls need the container's own network namespace. */
export function checkSysctlsForNetwork(spec: ContainerSpec): void {
  if (spec.network !== 'host') return;
  const net = Object.keys(spec.sysctls ?? {}).find((k) => k.startsWith('net.'));
  if (net) throw new InvalidArgumentError(`sysctl ${net}=${spec.sysctls![net]} can't be set since Network Namespace set to host: remove it or use a bridge network`);
}

const LOG_DRIVERS = ['k8s-file', 'none', 'passthrough'];

/** A log driver's name as tspod keeps it (json-file is k8s-file). */
export function logDriver(name: string): NonNullable<ContainerSpec['logDriver']> {
  const driver = name === 'json-file' ? 'k8s-file' : name;
  if (!LOG_DRIVERS.includes(driver)) throw new InvalidArgumentError(`unsupported log driver "${name}": use json-file, k8s-file, none or passthrough`);
  return driver as NonNullable<ContainerSpec['logDriver']>;
}

/** Log options: path, max-size (decimal units, as Podman reads them) and tag; the rest (max-file...) have no effect here. */
export function logOptions(options: Record<string, string>): Pick<ContainerSpec, 'logPath' | 'logSizeMax' | 'logTag'> {
  const out: Pick<ContainerSpec, 'logPath' | 'logSizeMax' | 'logTag'> = {};
  for (const [key, value] of Object.entries(options)) {
    switch (key.toLowerCase()) {
      case 'path':
        if (!value) throw new InvalidArgumentError('log option path needs a file: use path=FILE');
        out.logPath = value;
        break;
      case 'max-size': {
        const size = fromHumanSize(value);
        if (size === undefined) throw new InvalidArgumentError(`invalid log option max-size "${value}": give a size such as 10m or 1g`);
        out.logSizeMax = size;
        break;
      }
      case 'tag':
        out.logTag = value;
        break;
    }
  }
  return out;
}
