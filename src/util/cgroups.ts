import { readFileSync } from 'node:fs';

/** 'v2' when /sys/fs/cgroup is the unified hierarchy, 'v1' otherwise (including hybrid layouts). */
export function cgroupVersion(): 'v1' | 'v2' | 'unknown' {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    return / \/sys\/fs\/cgroup cgroup2 /.test(mounts) ? 'v2' : 'v1';
  } catch {
    return 'unknown';
  }
}
