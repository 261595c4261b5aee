/**
 * `network ls --filter` and `network prune --filter`, as Podman 4.3 reads them
 * (containers/common libnetwork/util/filters.go and podman's abi/network.go).
 *
 * Values of one key OR (name, id, driver), except `label` (every value must
 * match), `label!` (not all of them may match) and `until` (exactly one);
 * different keys AND.
 */
import { goRegexpMatch } from '../../util/goRegexp.js';
import type { NetworkConfig } from './types.js';
import { parseGoBool } from './networkStore.js';
import { parseUntilTimestamp } from '../../util/untilTimestamp.js';
import { groupFilters } from '../../util/filterArgs.js';
import { InvalidArgumentError } from '../../util/errors.js';

export type NetworkPredicate = (network: NetworkConfig) => boolean;

export interface NetworkFilterContext {
  /** Names of the networks some container uses; needed only for `dangling`. */
  inUse?: ReadonlySet<string>;
  /** Never dangling. */
  defaultNetwork?: string;
  now?: Date;
}


/** Whether the list filters need to know which networks containers use. */
export function needsUsage(filters: string[]): boolean {
  return filters.some((f) => f.startsWith('dangling='));
}

/** The `network ls` predicate: name, id, driver, label, label!, until, dangling. */
export function networkListFilter(filters: string[], ctx: NetworkFilterContext = {}): NetworkPredicate {
  const predicates: NetworkPredicate[] = [];
  for (const [key, values] of groupFilters(filters)) {
    if (key === 'dangling') {
      predicates.push(danglingPredicate(values, ctx));
      continue;
    }
    switch (key.toLowerCase()) {
      case 'name':
        predicates.push((n) => values.some((v) => goRegexpMatch(v, n.name)));
        break;
      case 'driver':
        predicates.push((n) => values.includes(n.driver));
        break;
      case 'id':
        predicates.push((n) => values.some((v) => goRegexpMatch(v, n.id)));
        break;
      default:
        predicates.push(prunePredicate(key, values, ctx));
    }
  }
  return (n) => predicates.every((p) => p(n));
}

/** The `network prune` predicate: label, label!, until. */
export function networkPruneFilter(filters: string[], ctx: NetworkFilterContext = {}): NetworkPredicate {
  const predicates = [...groupFilters(filters)].map(([key, values]) => prunePredicate(key, values, ctx));
  return (n) => predicates.every((p) => p(n));
}

function prunePredicate(key: string, values: string[], ctx: NetworkFilterContext): NetworkPredicate {
  switch (key.toLowerCase()) {
    case 'label':
      return (n) => matchLabels(values, n.labels ?? {});
    case 'label!':
      return (n) => !matchLabels(values, n.labels ?? {});
    case 'until': {
      if (values.length !== 1) throw new InvalidArgumentError('specify exactly one timestamp for until');
      const until = parseUntilTimestamp(values[0]!, ctx.now ?? new Date());
      return (n) => createdNanos(n.created) < until;
    }
    default:
      throw new InvalidArgumentError(`invalid filter "${key}"`);
  }
}

function danglingPredicate(values: string[], ctx: NetworkFilterContext): NetworkPredicate {
  if (values.length > 1) throw new InvalidArgumentError('got more than one value for filter key "dangling"');
  const wanted = parseGoBool(values[0]!);
  if (wanted === undefined) throw new InvalidArgumentError(`invalid dangling filter value "${values[0]}": use true or false`);
  const inUse = ctx.inUse ?? new Set<string>();
  return (n) => {
    const kept = inUse.has(n.name) || n.name === ctx.defaultNetwork;
    return kept ? !wanted : wanted;
  };
}


/** containers/common MatchLabelFilters: every `key[=value]` must be a label; `*` in a key globs. */
export function matchLabels(filterValues: string[], labels: Record<string, string>): boolean {
  return filterValues.every((filter) => {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    const value = eq < 0 ? '' : filter.slice(eq + 1);
    return Object.entries(labels).some(([k, v]) => (value === '' || v === value) && (k === key || (key.includes('*') && globMatch(key, k))));
  });
}

/** `*key*` as Go's filepath.Match over names without `/`. */
function globMatch(key: string, name: string): boolean {
  const re = `*${key}*`
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`, 's').test(name);
}

/** Unix nanoseconds of an RFC 3339 time with any fraction and zone; 0 when unreadable. */
export function createdNanos(created: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(created);
  if (!m) return 0n;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let offsetMinutes = 0;
  if (zone!.toUpperCase() !== 'Z') offsetMinutes = (zone![0] === '-' ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  const seconds = BigInt(ms / 1000 - offsetMinutes * 60);
  return seconds * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, '0'));
}
