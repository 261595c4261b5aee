import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';

/**
 * A bridge's anchor: a tap device tspod attaches to each bridge it uses.
 * netavark removes a bridge and all its firewall rules when its last
 * container leaves, and builds them again for the next one; measured here
 * that is ~150 ms of iptables calls per `run --rm` (20 ms with the bridge
 * kept). With an anchor on it the bridge is never empty, so a network's
 * bridge and NAT rules live as long as the network, as Docker's do; each
 * container's own veth, port rules, namespace and address still go with it.
 * `network rm` and `network prune` take the anchor away and let netavark
 * tear the rest down.
 */
export function anchorName(bridge: string): string {
  const plain = `tspa-${bridge}`;
  // Interface names have at most 15 characters.
  return plain.length <= 15 ? plain : `tspa${createHash('sha256').update(bridge).digest('hex').slice(0, 11)}`;
}

export function hasAnchor(bridge: string): boolean {
  return existsSync(`/sys/class/net/${anchorName(bridge)}`);
}

/** Attaches the anchor unless it is there; without tun/tap or ip(8) netavark's own behaviour simply stays. */
export function ensureAnchor(bridge: string): void {
  if (hasAnchor(bridge) || !existsSync(`/sys/class/net/${bridge}`)) return;
  const name = anchorName(bridge);
  // A concurrent start may add it first: "File exists" is fine.
  spawnSync('ip', ['-batch', '-'], { input: `tuntap add dev ${name} mode tap\nlink set ${name} master ${bridge}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
}

export function removeAnchor(bridge: string): void {
  if (!hasAnchor(bridge)) return;
  spawnSync('ip', ['link', 'del', anchorName(bridge)], { stdio: 'ignore' });
}

/** Whether anything but the anchor is attached to the bridge (a running container's veth). */
export function bridgeInUse(bridge: string): boolean {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  const anchor = anchorName(bridge);
  return r.stdout.split('\n').some((line) => line.trim() !== '' && !line.includes(` ${anchor}:`));
}
