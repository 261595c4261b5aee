import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { TspodError } from '../../util/errors.js';

/**
 * `top`: the container's processes (its pid namespace as the host sees it)
 * through the host's ps(1), with podman's AIX-style descriptors mapped to ps's
 * format keywords.
 */
const DESCRIPTORS: Record<string, { header: string; keyword: string }> = {
  user: { header: 'USER', keyword: 'user' },
  pid: { header: 'PID', keyword: 'pid' },
  ppid: { header: 'PPID', keyword: 'ppid' },
  pcpu: { header: '%CPU', keyword: 'pcpu' },
  etime: { header: 'ELAPSED', keyword: 'etime' },
  tty: { header: 'TTY', keyword: 'tty' },
  time: { header: 'TIME', keyword: 'time' },
  args: { header: 'COMMAND', keyword: 'args' },
  comm: { header: 'COMMAND', keyword: 'comm' },
  group: { header: 'GROUP', keyword: 'group' },
  nice: { header: 'NI', keyword: 'nice' },
  vsz: { header: 'VSZ', keyword: 'vsz' },
  rss: { header: 'RSS', keyword: 'rss' },
  uid: { header: 'UID', keyword: 'uid' },
  gid: { header: 'GID', keyword: 'gid' },
  state: { header: 'STATE', keyword: 'state' },
};

const DEFAULT = ['user', 'pid', 'ppid', 'pcpu', 'etime', 'tty', 'time', 'args'];

export function containerTop(initPid: number, requested: string[]): string[][] {
  const descriptors = requested.length ? requested.flatMap((d) => d.split(',')).filter(Boolean) : DEFAULT;
  for (const d of descriptors) {
    if (!DESCRIPTORS[d]) throw new TspodError(`unknown descriptor: ${d}: use one of ${Object.keys(DESCRIPTORS).join(', ')}`);
  }
  const pids = namespacePids(initPid);
  const columns = descriptors.map((d) => DESCRIPTORS[d]!);
  const rows: string[][] = [columns.map((c) => c.header)];
  if (pids.length === 0) return rows;
  // One ps per column keeps values with spaces (args) intact.
  const perColumn = columns.map((c) => {
    const r = spawnSync('ps', ['-o', `${c.keyword}=`, '-p', pids.join(',')], { encoding: 'utf8' });
    if (r.error) throw new TspodError(`cannot run ps: ${r.error.message}: install the Debian package "procps"`);
    return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.trim());
  });
  const count = Math.min(...perColumn.map((c) => c.length));
  for (let i = 0; i < count; i++) rows.push(perColumn.map((c) => c[i]!));
  return rows;
}

/** Every host pid in the same pid namespace as the container's init. */
function namespacePids(initPid: number): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === ns) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids.sort((a, b) => a - b);
}

