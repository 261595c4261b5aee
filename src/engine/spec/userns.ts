/**
 * A container's own user namespace (--userns, --uidmap, --gidmap), settled
 * at create into id maps. Host ids in the maps are the ids this engine runs
 * with: for a rootless tspod those of the user's namespace, where 0 is the
 * user and 1.. the subordinate ids (so `--uidmap 0:1:1000` means the first
 * thousand subordinate ids, as with Podman).
 */
import { InvalidArgumentError } from '../../util/errors.js';
import type { IdRangeMap as IdMap } from '../../storage/tar/apply.js';
import type { IdMaps } from '../../storage/store.js';

export { mapContainerId as hostIdOf } from '../../storage/tar/apply.js';

export interface UsernsContext {
  rootless: boolean;
  /** The user's uid and gid on the host (rootless). */
  uid: number;
  gid: number;
  /** How many uids and gids this engine's namespace has (rootless: 1 + the subordinate ranges). */
  availableUids: number;
  availableGids: number;
  /** Ranges (of this engine's ids) that other --userns=auto containers hold. */
  takenByAuto: Array<{ uid: IdMap[]; gid: IdMap[] }>;
}

/** The result of --userns: maps when the container gets its own namespace, and keep-id's user. */
export interface ResolvedUserns {
  maps?: IdMaps;
  /** keep-id: the process runs as this uid:gid unless --user says otherwise. */
  keepId?: { uid: number; gid: number };
}

/** `0:100000:65536` -> one map; several may be given, comma-separated or repeated. */
export function parseIdMaps(values: string[], flag: string): IdMap[] {
  const maps: IdMap[] = [];
  for (const value of values.flatMap((v) => v.split(','))) {
    const parts = value.split(':');
    const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
    if (parts.length !== 3 || nums.some((n) => !Number.isSafeInteger(n)) || nums[2] === 0) {
      throw new InvalidArgumentError(`invalid ${flag} "${value}": use CONTAINER_ID:HOST_ID:SIZE with a size above 0`);
    }
    maps.push({ containerID: nums[0]!, hostID: nums[1]!, size: nums[2]! });
  }
  return maps;
}

function options(rest: string, mode: string, allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!rest) return out;
  for (const opt of rest.split(',')) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    if (!allowed.includes(key) || eq < 0) throw new InvalidArgumentError(`invalid --userns=${mode} option "${opt}": use ${allowed.map((a) => `${a}=...`).join(', ')}`);
    out[key] = opt.slice(eq + 1);
  }
  return out;
}

function number(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`invalid ${what} "${value}": give a number`);
  return Number(value);
}

/** Maps `own` (the user, id 0 here) to `inside`, and the other ids around it, over `count` ids. */
function keepIdMap(inside: number, count: number): IdMap[] {
  if (inside + 1 > count) throw new InvalidArgumentError(`--userns=keep-id: id ${inside} does not fit in the ${count} ids this user has: add subordinate ids or give keep-id:uid=N,gid=N`);
  const maps: IdMap[] = [];
  if (inside > 0) maps.push({ containerID: 0, hostID: 1, size: inside });
  maps.push({ containerID: inside, hostID: 0, size: 1 });
  if (count - inside - 1 > 0) maps.push({ containerID: inside + 1, hostID: inside + 1, size: count - inside - 1 });
  return maps;
}

/** The lowest free range of `size` ids in 1..available, clear of other auto containers. */
function autoRange(size: number, available: number, taken: IdMap[][]): number {
  for (let start = 1; start + size <= available; ) {
    const clash = taken.flat().find((m) => start < m.hostID + m.size && m.hostID < start + size);
    if (!clash) return start;
    start = clash.hostID + clash.size;
  }
  throw new InvalidArgumentError(`--userns=auto: no free range of ${size} ids is left for another container: remove some, or give a smaller size (auto:size=N)`);
}

function checkWithin(maps: IdMap[], available: number, flag: string, rootless: boolean): void {
  for (const m of maps) {
    if (rootless && m.hostID + m.size > available) {
      throw new InvalidArgumentError(`${flag} ${m.containerID}:${m.hostID}:${m.size} goes beyond the ${available} ids of this user's namespace (0 is the user, 1.. the subordinate ids): use smaller ids`);
    }
  }
}

/** Settles --userns/--uidmap/--gidmap into the maps the container's namespace gets. */
export function resolveUserns(userns: string | undefined, uidMap: IdMap[] | undefined, gidMap: IdMap[] | undefined, ctx: UsernsContext): ResolvedUserns {
  const colon = (userns ?? '').indexOf(':');
  const mode = colon < 0 ? (userns ?? '') : userns!.slice(0, colon);
  const rest = colon < 0 ? '' : userns!.slice(colon + 1);
  if ((uidMap?.length || gidMap?.length) && mode !== '' && mode !== 'host') {
    throw new InvalidArgumentError(`--userns=${userns} cannot be combined with --uidmap or --gidmap: give one of them`);
  }
  if (uidMap?.length || gidMap?.length) {
    // One of the two stands for both, as in Podman.
    const uid = uidMap?.length ? uidMap : gidMap!;
    const gid = gidMap?.length ? gidMap : uidMap!;
    checkWithin(uid, ctx.availableUids, '--uidmap', ctx.rootless);
    checkWithin(gid, ctx.availableGids, '--gidmap', ctx.rootless);
    return { maps: { uid, gid } };
  }
  switch (mode) {
    case '':
    case 'host':
      if (rest) throw new InvalidArgumentError(`--userns=host takes no options: remove ":${rest}"`);
      return {};
    case 'keep-id': {
      if (!ctx.rootless) throw new InvalidArgumentError('--userns=keep-id is only for rootless users: as root, give --uidmap/--gidmap');
      const o = options(rest, mode, ['uid', 'gid', 'size']);
      const uid = number(o.uid, 'keep-id uid') ?? ctx.uid;
      const gid = number(o.gid, 'keep-id gid') ?? ctx.gid;
      const size = number(o.size, 'keep-id size');
      return {
        maps: { uid: keepIdMap(uid, Math.min(size ?? ctx.availableUids, ctx.availableUids)), gid: keepIdMap(gid, Math.min(size ?? ctx.availableGids, ctx.availableGids)) },
        keepId: { uid, gid },
      };
    }
    case 'nomap': {
      if (!ctx.rootless) throw new InvalidArgumentError('--userns=nomap is only for rootless users');
      if (rest) throw new InvalidArgumentError(`--userns=nomap takes no options: remove ":${rest}"`);
      if (ctx.availableUids < 2 || ctx.availableGids < 2) throw new InvalidArgumentError('--userns=nomap needs subordinate ids: ask the administrator to add ranges to /etc/subuid and /etc/subgid');
      return { maps: { uid: [{ containerID: 0, hostID: 1, size: ctx.availableUids - 1 }], gid: [{ containerID: 0, hostID: 1, size: ctx.availableGids - 1 }] } };
    }
    case 'auto': {
      if (!ctx.rootless) throw new InvalidArgumentError('--userns=auto as root needs a "containers" range in /etc/subuid, which tspod does not read yet: give --uidmap/--gidmap');
      const o = options(rest, mode, ['size', 'uidmapping', 'gidmapping']);
      const size = number(o.size, 'auto size') ?? 1024;
      if (size < 1) throw new InvalidArgumentError('--userns=auto:size must be at least 1');
      const uidStart = autoRange(size, ctx.availableUids, ctx.takenByAuto.map((t) => t.uid));
      const gidStart = autoRange(size, ctx.availableGids, ctx.takenByAuto.map((t) => t.gid));
      const uid: IdMap[] = [{ containerID: 0, hostID: uidStart, size }];
      const gid: IdMap[] = [{ containerID: 0, hostID: gidStart, size }];
      // uidmapping=/gidmapping= add a map beside the automatic one.
      if (o.uidmapping) uid.push(...parseIdMaps([o.uidmapping.replace(/@/g, '')], 'auto uidmapping'));
      if (o.gidmapping) gid.push(...parseIdMaps([o.gidmapping.replace(/@/g, '')], 'auto gidmapping'));
      return { maps: { uid, gid } };
    }
    default:
      throw new InvalidArgumentError(`invalid --userns "${userns}": use host, keep-id[:uid=N,gid=N,size=N], nomap or auto[:size=N]`);
  }
}
