/** What `stats` reads per container, shared by the engine interface and its implementations. */

/** One reading of a container's counters: cumulative CPU and I/O, current memory and PIDs. */
export interface ContainerSample {
  /** Cumulative CPU time of the cgroup, in nanoseconds. */
  cpuNanos: number;
  memUsage: number;
  /** The cgroup's memory limit, or the host's memory when unlimited. */
  memLimit: number;
  pids: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  /** Wall-clock time of the reading, in nanoseconds (for CPU % between two samples). */
  timeNanos: number;
}

export interface ContainerStatsReport {
  id: string;
  name: string;
  /** Absent for a container that is not running (listed with --all). */
  sample?: ContainerSample;
  /** When it last started, RFC 3339, for the CPU % of a first sample. */
  startedAt: string;
}
