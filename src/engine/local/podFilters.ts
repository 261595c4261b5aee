/**
 * podman's `pod ps --filter` over pod summaries (pkg/domain/filters/pods.go in podman 4.3).
 *
 * Values of one key OR, except `label` (every value must match); different keys AND.
 */
import { groupFilters } from '../../util/filterArgs.js';
import { goRegexpMatch } from '../../util/goRegexp.js';
import { parseUntilTimestamp } from '../../util/untilTimestamp.js';
import { createdNanos, matchLabels } from '../network/networkFilters.js';
import type { PodSummary } from '../types.js';
import { InvalidArgumentError } from '../../util/errors.js';

type Predicate = (p: PodSummary) => boolean;

const CTR_STATUS_VALUES = ['created', 'running', 'paused', 'stopped', 'exited', 'unknown'];
const POD_STATUS_VALUES = ['stopped', 'running', 'paused', 'exited', 'dead', 'created', 'degraded'];

export interface PodFilterContext {
  /** The name of the network a `network=` value names (name, ID or ID prefix); undefined when there is none. */
  networkName?: (nameOrId: string) => string | undefined;
}

/** The pods matching every `key=value` filter; throws podman's errors for unknown keys and bad values. */
export function filterPods(list: PodSummary[], filters: string[], now: Date = new Date(), ctx: PodFilterContext = {}): PodSummary[] {
  const byKey = groupFilters(filters);
  const predicates = [...byKey].map(([key, values]) => predicateFor(key, values, now, ctx));
  return list.filter((p) => predicates.every((matches) => matches(p)));
}

function predicateFor(key: string, values: string[], now: Date, ctx: PodFilterContext): Predicate {
  switch (key) {
    case 'id':
      return (p) => values.some((v) => goRegexpMatch(v, p.Id));
    case 'name':
      return (p) => values.some((v) => goRegexpMatch(v, p.Name));
    // podman 4.3 returns from inside its loop, so only the pod's first container (lowest ID) is looked at.
    case 'ctr-ids':
      return (p) => {
        const first = firstContainer(p);
        return first !== undefined && values.some((v) => goRegexpMatch(v, first.Id));
      };
    case 'ctr-names':
      return (p) => {
        const first = firstContainer(p);
        return first !== undefined && values.some((v) => goRegexpMatch(v, first.Names));
      };
    case 'ctr-number':
      return (p) => values.some((v) => /^[+-]?\d+$/.test(v) && Number(v) === p.Containers.length);
    case 'ctr-status': {
      for (const v of values) if (!CTR_STATUS_VALUES.includes(v)) throw new InvalidArgumentError(`${v} is not a valid status`);
      const wanted = values.map((v) => (v === 'stopped' ? 'exited' : v));
      return (p) => p.Containers.some((c) => wanted.includes(containerState(c.Status)));
    }
    case 'status': {
      for (const v of values) if (!POD_STATUS_VALUES.includes(v)) throw new InvalidArgumentError(`${v} is not a valid pod status`);
      return (p) => values.includes(p.Status.toLowerCase());
    }
    case 'label':
      return (p) => matchLabels(values, p.Labels ?? {});
    case 'until': {
      // podman computes the limit inside the predicate and matches nothing when it cannot.
      let until: bigint | undefined;
      try {
        if (values.length === 1) until = parseUntilTimestamp(values[0]!, now);
      } catch {
        until = undefined;
      }
      return (p) => until !== undefined && createdNanos(p.Created) < until;
    }
    case 'network': {
      const names = values.map((v) => (ctx.networkName ? ctx.networkName(v) : v)).filter((n): n is string => n !== undefined);
      return (p) => p.InfraId !== '' && p.Networks.some((n) => names.includes(n));
    }
    default:
      throw new InvalidArgumentError(`${key} is an invalid filter`);
  }
}

/** The container podman's database yields first: the lowest ID. */
function firstContainer(p: PodSummary): PodSummary['Containers'][number] | undefined {
  return [...p.Containers].sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0))[0];
}

function containerState(status: string): string {
  if (status === 'configured') return 'created';
  if (status === 'stopped') return 'exited';
  return status;
}
