/** Host device nodes for the OCI spec: the node to create in the container and the device cgroup rule allowing it. */
import { readdirSync, statSync, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import type { DeviceSpec } from '../spec/containerSpec.js';
import { InvalidArgumentError } from '../../util/errors.js';

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciDeviceRule {
  allow: true;
  type: 'c' | 'b';
  major: number;
  minor: number;
  access: string;
}

/** glibc's gnu_dev_major/minor of a dev_t. */
function majorMinor(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

function node(path: string, st: BigIntStats): OciDevice {
  return { path, type: st.isBlockDevice() ? 'b' : 'c', ...majorMinor(st.rdev), fileMode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) };
}

/** Each device (a folder: every device node below it, at the same place under the destination). */
export function hostDeviceNodes(devices: DeviceSpec[]): { nodes: OciDevice[]; rules: OciDeviceRule[] } {
  const nodes: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  const add = (source: string, destination: string, access: string, top: boolean): void => {
    let st;
    try {
      st = statSync(source, { bigint: true });
    } catch {
      if (top) throw new InvalidArgumentError(`device ${source} does not exist on the host: give an existing device node`);
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(source)) add(join(source, entry), posix.join(destination, entry), access, false);
      return;
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) {
      if (top) throw new InvalidArgumentError(`${source} is not a device node: give a device such as /dev/fuse`);
      return;
    }
    const dev = node(destination, st);
    nodes.push(dev);
    rules.push({ allow: true, type: dev.type, major: dev.major, minor: dev.minor, access });
  };
  for (const d of devices) add(d.source, d.destination, d.permissions, true);
  return { nodes, rules };
}
