import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createdNanos, needsUsage, networkListFilter, networkPruneFilter } from '../../src/engine/network/networkFilters.js';
import { groupFilters } from '../../src/util/filterArgs.js';
import type { NetworkConfig } from '../../src/engine/network/types.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

function net(name: string, extra: Partial<NetworkConfig> = {}): NetworkConfig {
  return {
    name,
    id: extra.id ?? `${name.charCodeAt(0).toString(16)}`.padEnd(64, '0'),
    driver: 'bridge',
    created: '2026-11-23T10:00:00.5Z',
    ipv6_enabled: false,
    internal: false,
    dns_enabled: true,
    ...extra,
  };
}

const NETS = [
  net('podman', { id: '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9', created: '2026-11-23T12:00:00Z' }),
  net('alpha', { labels: { app: 'web', tier: 'front' }, created: '2026-11-20T10:00:00Z' }),
  net('beta', { driver: 'macvlan', labels: { app: 'db' }, created: '2026-11-23T11:59:00+01:00' }),
  net('gamma', { id: 'abc'.padEnd(64, '1') }),
];

const names = (filters: string[], ctx = {}) => NETS.filter(networkListFilter(filters, ctx)).map((n) => n.name);
const now = new Date('2026-11-23T12:30:00Z');

describe('network ls filters', () => {
  it('matches names by unanchored regex, values ORed', () => {
    assert.deepEqual(names(['name=^a']), ['alpha']);
    assert.deepEqual(names(['name=a$', 'name=pod']), ['podman', 'alpha', 'beta', 'gamma']);
    assert.deepEqual(names(['name=mm']), ['gamma']);
    assert.deepEqual(names(['name=[']), [], 'an invalid regex matches nothing');
  });

  it('matches ids by regex (so a prefix works) and drivers exactly', () => {
    assert.deepEqual(names(['id=2f259b']), ['podman']);
    assert.deepEqual(names(['id=^abc']), ['gamma']);
    assert.deepEqual(names(['driver=macvlan']), ['beta']);
    assert.deepEqual(names(['driver=bridge', 'driver=macvlan']).length, 4);
  });

  it('matches labels: every value must match; label! negates', () => {
    assert.deepEqual(names(['label=app']), ['alpha', 'beta']);
    assert.deepEqual(names(['label=app=web']), ['alpha']);
    assert.deepEqual(names(['label=app', 'label=tier=front']), ['alpha']);
    assert.deepEqual(names(['label!=app']), ['podman', 'gamma']);
    assert.deepEqual(names(['label!=app=db']), ['podman', 'alpha', 'gamma']);
    assert.deepEqual(names(['label=ti*']), ['alpha']);
  });

  it('ANDs different keys', () => {
    assert.deepEqual(names(['label=app', 'driver=bridge']), ['alpha']);
  });

  it('keeps networks created before until', () => {
    assert.deepEqual(names(['until=1h'], { now }), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(names(['until=2026-11-22T00:00:00Z'], { now }), ['alpha']);
    assert.deepEqual(names([`until=${Date.parse('2026-11-23T11:00:00Z') / 1000}`], { now }), ['alpha', 'beta', 'gamma']);
    assert.throws(() => names(['until=1h', 'until=2h']), /^InvalidArgumentError: specify exactly one timestamp for until$/);
  });

  it('dangling: networks no container uses, the default network never', () => {
    const ctx = { inUse: new Set(['alpha']), defaultNetwork: 'podman' };
    assert.deepEqual(names(['dangling=true'], ctx), ['beta', 'gamma']);
    assert.deepEqual(names(['dangling=false'], ctx), ['podman', 'alpha']);
    assert.deepEqual(names(['dangling=1'], ctx), ['beta', 'gamma']);
    assert.throws(() => names(['dangling=maybe'], ctx), /invalid dangling filter value "maybe"/);
    assert.throws(() => names(['dangling=true', 'dangling=false'], ctx), /got more than one value for filter key "dangling"/);
    assert.equal(needsUsage(['name=x', 'dangling=true']), true);
    assert.equal(needsUsage(['name=x']), false);
  });

  it('refuses unknown keys and filters without =', () => {
    assert.throws(() => names(['foo=bar']), (e: unknown) => e instanceof InvalidArgumentError && e.message === 'invalid filter "foo"');
    assert.throws(() => groupFilters(['foo']), /^InvalidArgumentError: filter input must be in the form of filter=value: foo is invalid$/);
    assert.deepEqual(names(['NAME=alpha']), ['alpha'], 'keys other than dangling are case-insensitive');
  });
});

describe('network prune filters', () => {
  it('takes label, label! and until only', () => {
    const prune = (filters: string[]) => NETS.filter(networkPruneFilter(filters, { now })).map((n) => n.name);
    assert.deepEqual(prune(['label=app']), ['alpha', 'beta']);
    assert.deepEqual(prune(['label!=app']), ['podman', 'gamma']);
    assert.deepEqual(prune(['until=24h']), ['alpha']);
    assert.throws(() => prune(['dangling=true']), /^InvalidArgumentError: invalid filter "dangling"$/);
    assert.throws(() => prune(['name=a']), /invalid filter "name"/);
  });
});

describe('createdNanos', () => {
  it('reads RFC 3339 with fractions and zones', () => {
    assert.equal(createdNanos('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n);
    assert.equal(createdNanos('1970-01-01T01:00:01.5+01:00'), 1_500_000_000n);
    assert.equal(createdNanos('garbage'), 0n);
  });
});
