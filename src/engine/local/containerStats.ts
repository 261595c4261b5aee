import { readFileSync } from 'node:fs';
import type { ContainerRecord } from './containerRecord.js';
import { NoSuchContainerError } from '../../util/errors.js';
import type { ContainerSample, ContainerStatsReport } from '../statsTypes.js';

export type { ContainerSample, ContainerStatsReport };

/** Reads the counters of the container whose init process is `pid`, from its cgroup (v1 or v2) and its network namespace. */
export function readContainerSample(pid: number): ContainerSample {
  const cgroup = cgroupPathOf(pid);
  const v2 = cgroup.unified !== undefined;
  const memPath = v2 ? `/sys/fs/cgroup${cgroup.unified}` : `/sys/fs/cgroup/memory${cgroup.memory ?? ''}`;
  const memUsage = readNumber(v2 ? `${memPath}/memory.current` : `${memPath}/memory.usage_in_bytes`) ?? 0;
  let memLimit = readNumber(v2 ? `${memPath}/memory.max` : `${memPath}/memory.limit_in_bytes`) ?? Number.NaN;
  const hostMemory = hostMemoryBytes();
  if (!Number.isFinite(memLimit) || memLimit > hostMemory) memLimit = hostMemory;
  const cpuNanos = v2
    ? (readCpuStatUsec(`/sys/fs/cgroup${cgroup.unified}/cpu.stat`) ?? 0) * 1000
    : (readNumber(`/sys/fs/cgroup/cpu,cpuacct${cgroup.cpuacct ?? ''}/cpuacct.usage`) ?? readNumber(`/sys/fs/cgroup/cpuacct${cgroup.cpuacct ?? ''}/cpuacct.usage`) ?? 0);
  const pids = readNumber(v2 ? `/sys/fs/cgroup${cgroup.unified}/pids.current` : `/sys/fs/cgroup/pids${cgroup.pids ?? ''}/pids.current`) ?? 0;
  const net = networkCounters(pid);
  const block = v2 ? ioStatCounters(`/sys/fs/cgroup${cgroup.unified}/io.stat`) : blockCounters(`/sys/fs/cgroup/blkio${cgroup.blkio ?? ''}`);
  return { cpuNanos, memUsage, memLimit, pids, netRx: net.rx, netTx: net.tx, blockRead: block.read, blockWrite: block.write, timeNanos: Date.now() * 1e6 };
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function ioStatCounters(path: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  try {
    for (const m of readFileSync(path, 'utf8').matchAll(/rbytes=(\d+) wbytes=(\d+)/g)) {
      read += Number(m[1]);
      write += Number(m[2]);
    }
  } catch {
    // no io accounting here
  }
  return { read, write };
}

function cgroupPathOf(pid: number): { unified?: string; memory?: string; cpuacct?: string; pids?: string; blkio?: string } {
  const out: Record<string, string> = {};
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [, controllers = '', path = ''] = line.split(':');
      if (line.startsWith('0::')) out.unified = path;
      for (const c of controllers.split(',')) if (c) out[c] = path;
    }
  } catch {
    // gone meanwhile
  }
  // A hybrid host has both; the v1 controllers are the ones that account.
  if (out.memory !== undefined) delete out.unified;
  return out;
}

function readCpuStatUsec(path: string): number | undefined {
  try {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function hostMemoryBytes(): number {
  try {
    const m = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.MAX_SAFE_INTEGER;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

function networkCounters(pid: number): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  try {
    for (const line of readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const [iface, rest] = line.split(':');
      if (!rest || iface!.trim() === 'lo') continue;
      const fields = rest.trim().split(/\s+/).map(Number);
      rx += fields[0] ?? 0;
      tx += fields[8] ?? 0;
    }
  } catch {
    // gone meanwhile
  }
  return { rx, tx };
}

function blockCounters(blkio: string | undefined): { read: number; write: number } {
  let read = 0;
  let write = 0;
  if (!blkio) return { read, write };
  try {
    for (const line of readFileSync(`${blkio}/blkio.throttle.io_service_bytes`, 'utf8').split('\n')) {
      const [, op, value] = line.split(' ');
      if (op === 'Read') read += Number(value);
      if (op === 'Write') write += Number(value);
    }
  } catch {
    // no blkio accounting here
  }
  return { read, write };
}

interface StatsRuntime {
  observe(record: ContainerRecord): { state: { status: string; pid: number; startedAt: string } };
}

export function collectStats(
  rt: StatsRuntime,
  records: ContainerRecord[],
  names: string[],
  opts: { all?: boolean; latest?: boolean },
): ContainerStatsReport[] {
  let chosen: ContainerRecord[];
  if (opts.latest) {
    const newest = [...records].sort((a, b) => b.config.created.localeCompare(a.config.created))[0];
    if (!newest) throw new NoSuchContainerError('no containers to get the latest of: create one first');
    chosen = [newest];
  } else if (names.length > 0) {
    chosen = names.map((n) => {
      const r = records.find((x) => x.config.name === n || x.config.id === n) ?? records.filter((x) => x.config.id.startsWith(n)).at(0);
      if (!r) throw new NoSuchContainerError(`unable to get list of containers: unable to look up container ${n}: no container with name or ID "${n}" found: no such container`);
      return r;
    });
  } else {
    chosen = records;
  }
  const reports: ContainerStatsReport[] = [];
  for (const r of chosen) {
    const state = rt.observe(r).state;
    const running = state.status === 'running' || state.status === 'paused';
    if (!running) {
      // As podman 4.3: a named container that is not running is a row of zeros, not an error.
      if (names.length === 0 && !opts.latest && !opts.all) continue;
      reports.push({ id: r.config.id, name: r.config.name, startedAt: state.startedAt });
      continue;
    }
    reports.push({ id: r.config.id, name: r.config.name, sample: readContainerSample(state.pid), startedAt: state.startedAt });
  }
  return reports;
}
