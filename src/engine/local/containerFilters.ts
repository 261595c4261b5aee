/**
 * podman's `ps --filter` over container summaries (pkg/domain/filters/containers.go in podman 4.3).
 *
 * Values of one key OR, except `label` (every value must match) and `until` (exactly one value);
 * different keys AND. Where podman 4.3 is stricter than later podman and Docker (`ancestor`, `label!`),
 * this matches everything podman 4.3 matches and a little more.
 */
import { goRegexpMatch } from '../../util/goRegexp.js';
import { NS_PER_S, parseUntilTimestamp, utcSeconds } from '../../util/untilTimestamp.js';
import type { ContainerSummary } from '../types.js';
import { InvalidArgumentError } from '../../util/errors.js';

type Predicate = (c: ContainerSummary) => boolean;

const STATUS_VALUES = ['unknown', 'created', 'initialized', 'running', 'stopped', 'paused', 'exited', 'removing'];
const RESTART_POLICIES = ['none', 'no', 'always', 'on-failure', 'unless-stopped'];

/** Where a container's mounts come from (volume names, host paths), for `volume=`. */
export type MountSources = (id: string) => Array<{ type: string; source?: string; destination: string }>;

export function filterContainers(
  list: ContainerSummary[],
  filters: string[],
  now: Date = new Date(),
  mountSources?: MountSources,
  restartPolicyOf?: (id: string) => string,
): ContainerSummary[] {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`invalid filter ${JSON.stringify(f)}`);
    const key = f.slice(0, eq);
    byKey.set(key, [...(byKey.get(key) ?? []), f.slice(eq + 1)]);
  }
  const predicates = [...byKey].map(([key, values]) => predicateFor(key, values, list, now, mountSources, restartPolicyOf)).filter((p) => p !== null);
  return list.filter((c) => predicates.every((p) => p(c)));
}

/** A key's predicate, or null when it cannot be evaluated from a summary (restart-policy). */
function predicateFor(
  key: string,
  values: string[],
  list: ContainerSummary[],
  now: Date,
  mountSources?: MountSources,
  restartPolicyOf?: (id: string) => string,
): Predicate | null {
  switch (key) {
    case 'id':
      return (c) => values.some((v) => goRegexpMatch(v, c.Id));
    case 'name':
      return (c) => values.some((v) => goRegexpMatch(v, c.Names[0] ?? ''));
    case 'label':
      return (c) => matchLabels(values, c.Labels ?? {});
    case 'label!':
      return (c) => values.every((v) => !matchLabels([v], c.Labels ?? {}));
    case 'exited': {
      const codes = values.map(parseExitCode);
      return (c) => c.Exited && codes.includes(c.ExitCode);
    }
    case 'status': {
      for (const v of values) if (!STATUS_VALUES.includes(v)) throw new InvalidArgumentError(`unknown container state: ${v}: invalid argument`);
      const wanted = values.map((v) => (v === 'stopped' ? 'exited' : v));
      return (c) => wanted.includes(normalState(c.State));
    }
    case 'ancestor':
      return (c) => values.some((v) => matchAncestor(v, c));
    case 'before': {
      const limit = earliestCreated(values, list);
      return (c) => createdNanos(c) < limit;
    }
    case 'since': {
      const limit = earliestCreated(values, list);
      return (c) => createdNanos(c) > limit;
    }
    case 'until': {
      if (values.length !== 1) throw new InvalidArgumentError('specify exactly one timestamp for until');
      const until = parseUntilTimestamp(values[0]!, now);
      return (c) => createdNanos(c) < until;
    }
    case 'pod': {
      const pods = new Set(values.flatMap((v) => lookupPod(v, list)));
      return (c) => c.Pod !== '' && pods.has(c.Pod);
    }
    case 'network':
      return (c) => c.Networks.some((n) => values.includes(n));
    case 'volume':
      // `X`: a volume named X, a bind from X (podman 4.3) or any mount at X (what podman 4.3 also shows for
      // anonymous volumes); `SRC:DEST`: a volume or bind from SRC at DEST.
      if (mountSources) {
        return (c) =>
          values.some((v) => {
            const colon = v.indexOf(':');
            const source = colon < 0 ? v : v.slice(0, colon);
            const dest = colon < 0 ? undefined : v.slice(colon + 1);
            return mountSources(c.Id).some((m) => (dest === undefined ? m.source === source || m.destination === source : m.source === source && m.destination === dest));
          });
      }
      return (c) => values.some((v) => c.Mounts.includes(v.includes(':') ? v.slice(v.indexOf(':') + 1) : v));
    case 'health':
      // The health is the suffix of a running container's Status: `Up 5 seconds (healthy)`.
      return (c) => values.some((v) => c.Status.endsWith(`(${v})`));
    case 'restart-policy': {
      const invalid = values.filter((v) => !RESTART_POLICIES.includes(v));
      if (invalid.length > 0) throw new InvalidArgumentError(`${invalid.join(', ')} invalid restart ${invalid.length > 1 ? 'policies' : 'policy'}`);
      if (!restartPolicyOf) return null;
      const wanted = values.map((v) => (v === 'none' ? 'no' : v));
      return (c) => wanted.includes(restartPolicyOf(c.Id) || 'no');
    }
    default:
      throw new InvalidArgumentError(`${key} is an invalid filter`);
  }
}

/** podman's state names: its "configured" is printed "created", and a "stopped" container counts as exited. */
function normalState(state: string): string {
  if (state === 'configured') return 'created';
  if (state === 'stopped') return 'exited';
  return state;
}


/** containers/common MatchLabelFilters: every `key[=value]` must be a label; `*` in a key globs. */
function matchLabels(filterValues: string[], labels: Record<string, string>): boolean {
  return filterValues.every((filter) => {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    const value = eq < 0 ? '' : filter.slice(eq + 1);
    return Object.entries(labels).some(([k, v]) => (value === '' || v === value) && (k === key || (key.includes('*') && globMatch(`*${key}*`, k))));
  });
}

/** Go's filepath.Match (`/` never occurs: podman swaps it out first); a bad pattern matches nothing. */
function globMatch(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '\\') re += escapeRegExp(pattern[++i] ?? '\\');
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false;
      re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escapeRegExp(ch);
  }
  try {
    return new RegExp(`^${re}$`, 's').test(name);
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** strconv.ParseInt(v, 10, 32), failing with podman's message (which quotes the failed number as a rune). */
function parseExitCode(value: string): number {
  const syntaxOk = /^[+-]?\d+$/.test(value);
  const n = syntaxOk ? Number(value) : 0;
  if (syntaxOk && n >= -(2 ** 31) && n < 2 ** 31) return n;
  const rune = syntaxOk ? "'\uFFFD'" : "'\\x00'";
  const reason = syntaxOk ? 'value out of range' : 'invalid syntax';
  throw new InvalidArgumentError(`exited code out of range ${rune}: strconv.ParseInt: parsing ${JSON.stringify(value)}: ${reason}`);
}

/** Docker's ancestor forms: the image ID or a prefix of it, the name, the name without `:latest`, short names. */
function matchAncestor(value: string, c: ContainerSummary): boolean {
  const id = value.replace(/^sha256:/, '');
  if (id !== '' && /^[0-9a-f]+$/.test(id) && c.ImageID.startsWith(id)) return true;
  return c.Image !== '' && imageNameForms(c.Image).includes(value);
}

function imageNameForms(name: string): string[] {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const untagged = colon > slash && name.slice(colon + 1) === 'latest' ? [name, name.slice(0, colon)] : [name];
  const forms = [...untagged];
  for (const prefix of ['localhost/', 'docker.io/library/', 'docker.io/']) {
    for (const form of untagged) if (form.startsWith(prefix)) forms.push(form.slice(prefix.length));
  }
  return forms;
}

/** libpod's LookupContainer over the listed containers: full ID, name, then a unique ID prefix. */
function lookupContainer(value: string, list: ContainerSummary[]): ContainerSummary {
  if (value === '') throw new InvalidArgumentError('name or ID cannot be empty');
  const exact = list.find((c) => c.Id === value) ?? list.find((c) => c.Names.includes(value));
  if (exact) return exact;
  const prefixed = list.filter((c) => c.Id.startsWith(value));
  if (prefixed.length > 1) throw new InvalidArgumentError(`more than one result for container ID ${value}: container already exists`);
  if (prefixed.length === 0) throw new InvalidArgumentError(`no container with name or ID ${JSON.stringify(value)} found: no such container`);
  return prefixed[0]!;
}

/** before/since with several containers compare against the earliest of them, as podman does. */
function earliestCreated(values: string[], list: ContainerSummary[]): bigint {
  return values.map((v) => createdNanos(lookupContainer(v, list))).reduce((a, b) => (b < a ? b : a));
}

/** The pod IDs a `pod=` value names: an ID, a name or a unique ID prefix; an unknown pod names none. */
function lookupPod(value: string, list: ContainerSummary[]): string[] {
  const pods = new Map(list.filter((c) => c.Pod !== '').map((c) => [c.Pod, c.PodName]));
  const exact = [...pods].filter(([id, name]) => id === value || name === value);
  if (exact.length > 0) return exact.map(([id]) => id);
  const prefixed = [...pods.keys()].filter((id) => value !== '' && id.startsWith(value));
  return prefixed.length === 1 ? prefixed : [];
}

/** The creation time in nanoseconds: CreatedAt (Go's time String) keeps them, Created only seconds. */
export function createdNanos(c: ContainerSummary): bigint {
  const m = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? ([+-])(\d\d)(\d\d)/.exec(c.CreatedAt);
  if (!m) return BigInt(c.Created) * NS_PER_S;
  const [, y, mo, d, h, mi, s, frac = '', sign, oh, om] = m;
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const seconds = utcSeconds(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)) - offset * 60;
  return BigInt(seconds) * NS_PER_S + BigInt(frac.padEnd(9, '0'));
}
