import type { ContainerSpec } from '../spec/containerSpec.js';
import type { ContainerStatus } from '../types.js';
import type { NetworkStatus } from '../network/types.js';

/**
 * What tspod keeps about a container: the config, fixed at create, and the
 * state, which changes as it runs. Both are JSON in the containers table.
 */
export interface ContainerConfig {
  id: string;
  name: string;
  spec: ContainerSpec;
  /** The image's id and the name it was resolved to (as ps shows it). */
  imageId: string;
  imageName: string;
  /** RFC 3339 with nanoseconds, as podman's inspect prints it. */
  created: string;
  /** The process as resolved at create from the image config and the spec. */
  process: {
    /** The full argv: entrypoint + command. */
    args: string[];
    entrypoint: string[];
    command: string[];
    env: string[];
    cwd: string;
    user: string;
    terminal: boolean;
  };
  hostname: string;
  stopSignal: number;
  stopTimeout: number;
  /** The OCI runtime program (absolute path) and its name. */
  ociRuntime: { name: string; path: string };
  logDriver: 'k8s-file' | 'none' | 'passthrough';
  logPath: string;
  /** Image config fields inspect shows (ExposedPorts, Volumes, Labels...). */
  imageLabels: Record<string, string>;
}

export interface ContainerState {
  status: ContainerStatus;
  /** The container's init pid while it runs, else 0. */
  pid: number;
  /** Its start time in clock ticks since boot (field 22 of /proc/PID/stat), to tell a reused pid. */
  pidStartTicks: number;
  conmonPid: number;
  /** RFC 3339 with nanoseconds; '' while never started/exited. */
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  oomKilled: boolean;
  /** The last runtime error, as inspect's State.Error. */
  error: string;
  restartCount: number;
  /** Set by stop/kill from a user so restart policies (unless-stopped, always) hold off. */
  stoppedByUser: boolean;
  /** Where the root filesystem is mounted, '' while unmounted. */
  mountPoint: string;
  /** The bridge networks' namespace (/run/netns/tspod-...) while set up. */
  netns?: string;
  /** What netavark reported per network at setup. */
  networkStatus?: Record<string, NetworkStatus>;
  /** Outstanding `mount` calls (Podman's mount counter): while above 0 the root filesystem stays mounted when the container stops. */
  userMounts?: number;
  /** Set by checkpoint (the process ended in a CRIU image, not by itself): cleanup neither removes nor restarts it. */
  checkpointed?: boolean;
  checkpointedAt?: string;
  restoredAt?: string;
}

export interface ContainerRecord {
  config: ContainerConfig;
  state: ContainerState;
}

export function initialState(): ContainerState {
  return {
    status: 'created',
    pid: 0,
    pidStartTicks: 0,
    conmonPid: 0,
    startedAt: '',
    finishedAt: '',
    exitCode: 0,
    oomKilled: false,
    error: '',
    restartCount: 0,
    stoppedByUser: false,
    mountPoint: '',
  };
}
