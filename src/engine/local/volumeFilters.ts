/** podman's `volume ls/prune --filter` (pkg/domain/filters/volumes.go in podman 4.3). */
import type { VolumeRecord } from './volumeStore.js';
import { groupFilters } from '../../util/filterArgs.js';
import { goRegexpMatch } from '../../util/goRegexp.js';
import { parseUntilTimestamp } from '../../util/untilTimestamp.js';
import { InvalidArgumentError } from '../../util/errors.js';

type Predicate = (v: VolumeRecord) => boolean;

/** Predicates for ls and prune; `inUse` answers dangling=. */
export function volumeFilter(filters: string[], inUse: (name: string) => boolean, opts: { now?: Date } = {}): Predicate {
  const predicates: Predicate[] = [];
  for (const [key, values] of groupFilters(filters)) {
    switch (key) {
      case 'name':
        predicates.push((v) => values.some((f) => goRegexpMatch(f, v.name)));
        break;
      case 'driver':
        predicates.push((v) => values.includes(v.driver));
        break;
      case 'scope':
        predicates.push(() => values.includes('local'));
        break;
      case 'label':
        predicates.push((v) => values.every((f) => matchLabel(f, v.labels)));
        break;
      case 'label!':
        predicates.push((v) => values.every((f) => !matchLabel(f, v.labels)));
        break;
      case 'opt':
        predicates.push((v) => values.some((f) => matchLabel(f, v.options)));
        break;
      case 'until': {
        const limits = values.map((f) => parseUntilTimestamp(f, opts.now ?? new Date()));
        predicates.push((v) => limits.some((limit) => createdNanos(v.created) < limit));
        break;
      }
      case 'dangling': {
        const wanted = values.map((f) => boolFilterValue(key, f));
        predicates.push((v) => wanted.some((w) => w === !inUse(v.name)));
        break;
      }
      case 'anonymous': {
        const wanted = values.map((f) => boolFilterValue(key, f));
        predicates.push((v) => wanted.some((w) => w === v.anonymous));
        break;
      }
      default:
        throw new InvalidArgumentError(`"${key}" is an invalid volume filter: use name, label, driver, scope, opt, dangling, anonymous or until`);
    }
  }
  return (v) => predicates.every((p) => p(v));
}

function boolFilterValue(key: string, value: string): boolean {
  if (['true', '1'].includes(value)) return true;
  if (['false', '0'].includes(value)) return false;
  throw new InvalidArgumentError(`"${value}" is not a valid value for the "${key}" filter - must be true or false`);
}

function matchLabel(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

function createdNanos(rfc3339: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!m) return BigInt(Date.parse(rfc3339)) * 1_000_000n;
  const seconds = BigInt(Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000));
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
}
