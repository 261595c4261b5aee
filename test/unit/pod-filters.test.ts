import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { filterPods } from '../../src/engine/local/podFilters.js';
import type { PodSummary } from '../../src/engine/types.js';

function pod(name: string, over: Partial<PodSummary> = {}): PodSummary {
  return {
    Cgroup: '/libpod_parent',
    Containers: [],
    Created: '2026-11-23T11:00:00Z',
    Id: `${name}`.padEnd(64, '0'),
    InfraId: '',
    Name: name,
    Namespace: '',
    Networks: [],
    Status: 'Created',
    Labels: {},
    ...over,
  };
}

const WEB = pod('aweb', {
  Status: 'Running',
  Labels: { app: 'web', tier: 'front' },
  InfraId: 'e2'.padEnd(64, '1'),
  Networks: ['podman', 'n1'],
  Created: '2026-11-23T10:00:00.5Z',
  Containers: [
    { Id: 'e2'.padEnd(64, '1'), Names: 'aweb-infra', Status: 'running' },
    { Id: 'da'.padEnd(64, '2'), Names: 'web1', Status: 'exited' },
  ],
});
const DB = pod('bdb', { Status: 'Degraded', Labels: { app: 'db' }, InfraId: 'c0'.padEnd(64, '3'), Networks: ['podman'], Containers: [{ Id: 'c0'.padEnd(64, '3'), Names: 'bdb-infra', Status: 'configured' }] });
const EMPTY = pod('cempty', { Created: '2026-11-23T12:00:00Z' });
const ALL = [WEB, DB, EMPTY];

const names = (filters: string[], now?: Date, networkName?: (v: string) => string | undefined): string[] =>
  filterPods(ALL, filters, now, networkName ? { networkName } : {}).map((p) => p.Name);

describe('filterPods', () => {
  it('matches id and name as unanchored regular expressions, values OR', () => {
    assert.deepEqual(names(['name=web']), ['aweb']);
    assert.deepEqual(names(['name=^b', 'name=empty$']), ['bdb', 'cempty']);
    assert.deepEqual(names(['id=^bdb']), ['bdb']);
    assert.deepEqual(names(['name=[']), []);
  });

  it('ANDs different keys; every label value must match', () => {
    assert.deepEqual(names(['label=app']), ['aweb', 'bdb']);
    assert.deepEqual(names(['label=app=web', 'label=tier']), ['aweb']);
    assert.deepEqual(names(['label=app=web', 'label=tier=back']), []);
    assert.deepEqual(names(['label=app', 'name=^b']), ['bdb']);
  });

  it('filters on pod status, and rejects unknown ones', () => {
    assert.deepEqual(names(['status=running']), ['aweb']);
    assert.deepEqual(names(['status=degraded', 'status=created']), ['bdb', 'cempty']);
    assert.throws(() => names(['status=up']), { message: 'up is not a valid pod status' });
  });

  it('filters on container status as podman names it', () => {
    assert.deepEqual(names(['ctr-status=created']), ['bdb']);
    assert.deepEqual(names(['ctr-status=stopped']), ['aweb']);
    assert.deepEqual(names(['ctr-status=running']), ['aweb']);
    assert.throws(() => names(['ctr-status=up']), { message: 'up is not a valid status' });
  });

  it('looks at the first container (lowest ID) only for ctr-ids and ctr-names, like podman 4.3', () => {
    assert.deepEqual(names(['ctr-names=web1']), ['aweb']);
    assert.deepEqual(names(['ctr-names=aweb-infra']), []);
    assert.deepEqual(names(['ctr-ids=^da']), ['aweb']);
    assert.deepEqual(names(['ctr-ids=^c0']), ['bdb']);
  });

  it('counts containers', () => {
    assert.deepEqual(names(['ctr-number=2']), ['aweb']);
    assert.deepEqual(names(['ctr-number=0', 'ctr-number=1']), ['bdb', 'cempty']);
    assert.deepEqual(names(['ctr-number=x']), []);
  });

  it('matches infra networks, resolving names when it can', () => {
    assert.deepEqual(names(['network=n1']), ['aweb']);
    assert.deepEqual(names(['network=podman']), ['aweb', 'bdb']);
    assert.deepEqual(names(['network=abc123'], undefined, (v) => (v.startsWith('abc') ? 'n1' : undefined)), ['aweb']);
    assert.deepEqual(names(['network=nosuch'], undefined, () => undefined), []);
  });

  it('keeps pods created before until; a bad until matches nothing', () => {
    const now = new Date('2026-11-23T12:30:00Z');
    assert.deepEqual(names(['until=2026-11-23T11:30:00Z'], now), ['aweb', 'bdb']);
    assert.deepEqual(names(['until=1h'], now), ['aweb', 'bdb']);
    assert.deepEqual(names(['until=2h'], now), ['aweb']);
    assert.deepEqual(names(['until=yesterday'], now), []);
    assert.deepEqual(names(['until=1h', 'until=2h'], now), []);
  });

  it('rejects unknown keys and filters without a value', () => {
    assert.throws(() => names(['color=red']), { message: 'color is an invalid filter' });
    assert.throws(() => names(['status']), { message: 'filter input must be in the form of filter=value: status is invalid' });
    assert.deepEqual(names([]), ['aweb', 'bdb', 'cempty']);
  });
});
