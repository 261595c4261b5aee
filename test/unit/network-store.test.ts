import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_NETWORK_ID,
  NetworkStore,
  formatIp,
  networkFileText,
  parseCidr,
  parseIp,
  procRoutes,
  type HostNetworks,
} from '../../src/engine/network/networkStore.js';
import { DEFAULT_SUBNET_POOLS } from '../../src/config/containersConf.js';
import type { NetworkConfig } from '../../src/engine/network/types.js';
import { ConflictError, InvalidArgumentError, NoSuchNetworkError, TspodError } from '../../src/util/errors.js';

let base = '';
before(() => {
  base = mkdtempSync(join(tmpdir(), 'tspod-network-store-'));
});
after(() => {
  rmSync(base, { recursive: true, force: true });
});

const host: HostNetworks = {
  interfaceNames: () => ['lo', 'eth0', 'podman3'],
  interfaceSubnets: () => ['127.0.0.0/8', '192.0.2.0/24', '10.89.1.0/24'],
  routes: () => ['192.0.2.0/24', '10.89.2.0/24'],
};

let counter = 0;
function newStore(warnings: string[] = []): NetworkStore {
  const dir = join(base, `d${++counter}`);
  return new NetworkStore(dir, { defaultNetwork: 'podman', defaultSubnet: '10.88.0.0/16', defaultSubnetPools: DEFAULT_SUBNET_POOLS }, { host, warn: (m) => warnings.push(m) });
}

const SAMPLE = `{
     "name": "pmtest",
     "id": "abdccea081ed825a90c9ff51f2ea4140c7cc8f9b1a02c032e20b72f5d47fd8c9",
     "driver": "bridge",
     "network_interface": "podman1",
     "created": "2026-11-23T10:20:31.540003983Z",
     "subnets": [
          {
               "subnet": "10.77.0.0/24",
               "gateway": "10.77.0.1"
          }
     ],
     "ipv6_enabled": false,
     "internal": false,
     "dns_enabled": true,
     "ipam_options": {
          "driver": "host-local"
     }
}
`;

describe('NetworkStore', () => {
  it('has the default network in memory, like Podman', () => {
    const store = newStore();
    const [net] = store.list();
    assert.equal(store.list().length, 1);
    assert.equal(net!.name, 'podman');
    assert.equal(net!.id, DEFAULT_NETWORK_ID);
    assert.equal(net!.network_interface, 'podman0');
    assert.deepEqual(net!.subnets, [{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }]);
    assert.equal(net!.dns_enabled, false);
    assert.deepEqual(net!.ipam_options, { driver: 'host-local' });
    assert.match(net!.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    assert.equal(existsSync(store.configDir), false, 'reading creates nothing');
    assert.equal(store.get('2f259bab').name, 'podman');
  });

  it('lets a file of the default network win', () => {
    const store = newStore();
    store.create({ name: 'other' });
    const text = SAMPLE.replace('"pmtest"', '"podman"').replace('podman1', 'tspt7');
    writeFileSync(join(store.configDir, 'podman.json'), text);
    assert.equal(store.get('podman').network_interface, 'tspt7');
    assert.equal(store.get('podman').id, 'abdccea081ed825a90c9ff51f2ea4140c7cc8f9b1a02c032e20b72f5d47fd8c9');
  });

  it('writes files byte for byte in Podman format', () => {
    const parsed = JSON.parse(SAMPLE) as NetworkConfig;
    assert.equal(networkFileText(parsed), SAMPLE);
    const store = newStore();
    writeFileSync(join(base, 'x'), '');
    store.create({ name: 'pmtest', subnets: ['10.77.0.0/24'] });
    const text = readFileSync(join(store.configDir, 'pmtest.json'), 'utf8');
    const normalized = text.replace(/"id": "[0-9a-f]{64}"/, '"id": "abdccea081ed825a90c9ff51f2ea4140c7cc8f9b1a02c032e20b72f5d47fd8c9"').replace(/"created": "[^"]+"/, '"created": "2026-11-23T10:20:31.540003983Z"');
    assert.equal(normalized, SAMPLE);
    assert.deepEqual(readdirSync(store.configDir).sort(), ['netavark.lock', 'pmtest.json']);
  });

  it('writes labels, options and lease ranges in Go order, HTML-escaped', () => {
    const store = newStore();
    store.create({
      name: 'full',
      subnets: ['10.60.0.0/24'],
      ipRanges: ['10.60.0.128/25'],
      labels: { z: '1', a: '<b>' },
      options: { mtu: '1400', isolate: '1' },
    });
    const text = readFileSync(join(store.configDir, 'full.json'), 'utf8');
    assert.match(text, /"lease_range": \{\n {20}"start_ip": "10\.60\.0\.129",\n {20}"end_ip": "10\.60\.0\.255"\n {15}\}/);
    assert.match(text, /"labels": \{\n {10}"a": "\\u003cb\\u003e",\n {10}"z": "1"\n {5}\},\n {5}"options": \{\n {10}"isolate": "true",\n {10}"mtu": "1400"/);
  });

  it('looks networks up by name, full id and unique id prefix', () => {
    const store = newStore();
    const a = store.create({ name: 'a' });
    assert.equal(store.get('a').id, a.id);
    assert.equal(store.get(a.id).name, 'a');
    assert.equal(store.get(a.id.slice(0, 5)).name, 'a');
    assert.throws(
      () => store.get('nothere'),
      (e: unknown) => e instanceof NoSuchNetworkError && e.message === 'unable to find network with name or ID nothere: network not found' && e.status === 404,
    );
    assert.equal(store.exists('nothere'), false);
    assert.equal(store.exists('a'), true);
  });

  it('picks free subnets from the pools, avoiding networks, host addresses and routes', () => {
    const store = newStore();
    assert.deepEqual(store.create({ name: 'n1' }).subnets, [{ subnet: '10.89.0.0/24', gateway: '10.89.0.1' }]);
    // 10.89.1.0/24 is an interface address, 10.89.2.0/24 a route.
    assert.deepEqual(store.create({ name: 'n2' }).subnets, [{ subnet: '10.89.3.0/24', gateway: '10.89.3.1' }]);
    store.create({ name: 'n3', subnets: ['10.89.4.0/23'] });
    assert.equal(store.create({ name: 'n4' }).subnets![0]!.subnet, '10.89.6.0/24');
    // A route does not block a subnet the user chose, an interface address does.
    assert.equal(store.create({ name: 'n5', subnets: ['10.89.2.0/24'] }).subnets![0]!.subnet, '10.89.2.0/24');
    assert.throws(() => store.create({ name: 'n6', subnets: ['10.89.1.128/25'] }), /subnet 10\.89\.1\.128\/25 is already used on the host or by another config/);
    assert.throws(() => store.create({ name: 'n7', subnets: ['10.88.1.0/24'] }), /subnet 10\.88\.1\.0\/24 is already used/);
  });

  it('moves to the next pool and fails clearly when all are used', () => {
    const dir = join(base, `d${++counter}`);
    const store = new NetworkStore(dir, { defaultNetwork: 'podman', defaultSubnet: '10.88.0.0/16', defaultSubnetPools: [{ base: '10.50.0.0/31', size: 32 }, { base: '10.51.0.0/30', size: 31 }] }, { host, warn: () => {} });
    assert.equal(store.create({ name: 'a' }).subnets![0]!.subnet, '10.50.0.0/32');
    assert.equal(store.create({ name: 'b' }).subnets![0]!.subnet, '10.50.0.1/32');
    assert.equal(store.create({ name: 'c' }).subnets![0]!.subnet, '10.51.0.0/31');
    assert.equal(store.create({ name: 'd' }).subnets![0]!.subnet, '10.51.0.2/31');
    assert.throws(() => store.create({ name: 'e' }), /could not find free subnet from subnet pools/);
  });

  it('adds a random fdXX ULA /64 with --ipv6, beside an IPv4 subnet', () => {
    const store = newStore();
    const net = store.create({ name: 'v6', ipv6: true });
    assert.equal(net.subnets!.length, 2);
    assert.equal(net.subnets![0]!.subnet, '10.89.0.0/24');
    assert.match(net.subnets![1]!.subnet, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
    assert.equal(net.subnets![1]!.gateway, net.subnets![1]!.subnet.replace('::/64', '::1'));
    assert.equal(net.ipv6_enabled, true);
    const only6 = store.create({ name: 'v6b', subnets: ['fd00:1:2:3::/64'] });
    assert.deepEqual(only6.subnets, [{ subnet: 'fd00:1:2:3::/64', gateway: 'fd00:1:2:3::1' }]);
    assert.equal(only6.ipv6_enabled, true);
  });

  it('names bridges podmanN, skipping used names and host interfaces', () => {
    const store = newStore();
    assert.equal(store.create({ name: 'a' }).network_interface, 'podman1');
    assert.equal(store.create({ name: 'b' }).network_interface, 'podman2');
    // podman3 exists on the host
    const unnamed = store.create({});
    assert.equal(unnamed.name, 'podman4');
    assert.equal(unnamed.network_interface, 'podman4');
    assert.equal(store.create({ name: 'c', interfaceName: 'br9' }).network_interface, 'br9');
    assert.throws(() => store.create({ name: 'd', interfaceName: 'br9' }), /bridge name br9 already in use/);
    store.remove('b');
    assert.equal(store.create({ name: 'e' }).network_interface, 'podman2');
  });

  it('sets dns, internal, labels and options as Podman does', () => {
    const store = newStore();
    assert.equal(store.create({ name: 'a' }).dns_enabled, true);
    assert.equal(store.create({ name: 'b', disableDns: true }).dns_enabled, false);
    const internal = store.create({ name: 'c', internal: true, disableDns: true });
    assert.equal(internal.internal, true);
    assert.equal(internal.subnets![0]!.gateway, undefined, 'no gateway for an internal network without dns');
    const none = store.create({ name: 'd', ipamDriver: 'none' });
    assert.equal(none.subnets, undefined);
    assert.equal(none.dns_enabled, false);
    assert.deepEqual(none.ipam_options, { driver: 'none' });
    const mv = store.create({ name: 'mv', driver: 'macvlan', subnets: ['192.168.99.0/24'], options: { parent: 'eth0', mode: 'bridge' } });
    assert.equal(mv.network_interface, 'eth0');
    assert.deepEqual(mv.options, { mode: 'bridge' });
    assert.equal(mv.dns_enabled, true);
    const mvDefault = store.create({ name: 'mv2', driver: 'macvlan', subnets: ['192.168.98.0/24'] });
    assert.equal(mvDefault.network_interface, undefined, 'netavark picks the default route interface');
    assert.equal(store.create({ name: 'e', options: { isolate: 'strict', metric: '100', vlan: '5' } }).options!.isolate, 'strict');
  });

  const invalid: Array<[string, Parameters<NetworkStore['create']>[0], RegExp, typeof TspodError]> = [
    ['bad name', { name: 'bad name' }, /^network name bad name invalid: names must match \[a-zA-Z0-9\]\[a-zA-Z0-9_\.-\]\*: invalid argument$/, InvalidArgumentError],
    ['name taken', { name: 'taken' }, /^network name taken already used: network already exists$/, ConflictError],
    ['name is a full id', { name: DEFAULT_NETWORK_ID }, /already used/, ConflictError],
    ['ipvlan', { name: 'x', driver: 'ipvlan' }, /^unsupported driver ipvlan: invalid argument/, InvalidArgumentError],
    ['macvlan without subnet', { name: 'x', driver: 'macvlan' }, /^macvlan driver needs at least one subnet specified/, InvalidArgumentError],
    ['macvlan bad parent', { name: 'x', driver: 'macvlan', subnets: ['192.168.5.0/24'], options: { parent: 'nope' } }, /^parent interface nope does not exist$/, InvalidArgumentError],
    ['macvlan bad mode', { name: 'x', driver: 'macvlan', subnets: ['192.168.5.0/24'], options: { mode: 'foo' } }, /^unknown macvlan mode "foo"/, InvalidArgumentError],
    ['macvlan vlan', { name: 'x', driver: 'macvlan', subnets: ['192.168.5.0/24'], options: { vlan: '1' } }, /^unsupported macvlan network option vlan/, InvalidArgumentError],
    ['bad cidr', { name: 'x', subnets: ['10.0.0.0/33'] }, /^invalid CIDR address: 10\.0\.0\.0\/33$/, InvalidArgumentError],
    ['not a cidr', { name: 'x', subnets: ['foo'] }, /^invalid CIDR address: foo$/, InvalidArgumentError],
    ['leading zero', { name: 'x', subnets: ['10.01.0.0/16'] }, /^invalid CIDR address/, InvalidArgumentError],
    ['gateway outside', { name: 'x', subnets: ['10.60.0.0/24'], gateways: ['10.61.0.1'] }, /^gateway 10\.61\.0\.1 not in subnet 10\.60\.0\.0\/24$/, InvalidArgumentError],
    ['gateway v6 in v4', { name: 'x', subnets: ['10.60.0.0/24'], gateways: ['fd00::1'] }, /^gateway fd00::1 not in subnet/, InvalidArgumentError],
    ['gateway not an ip', { name: 'x', subnets: ['10.60.0.0/24'], gateways: ['foo'] }, /invalid string being converted to IP address: foo/, InvalidArgumentError],
    ['range outside', { name: 'x', subnets: ['10.60.0.0/24'], ipRanges: ['10.61.0.0/28'] }, /^lease range start ip 10\.61\.0\.1 not in subnet 10\.60\.0\.0\/24$/, InvalidArgumentError],
    ['gateway without subnet', { name: 'x', gateways: ['10.0.0.1'] }, /^cannot set gateway or range without subnet/, InvalidArgumentError],
    ['more gateways', { name: 'x', subnets: ['10.60.0.0/24'], gateways: ['10.60.0.1', '10.60.0.2'] }, /^cannot set more gateways than subnets/, InvalidArgumentError],
    ['more ranges', { name: 'x', subnets: ['10.60.0.0/24'], ipRanges: ['10.60.0.0/25', '10.60.0.128/25'] }, /^cannot set more ranges than subnets/, InvalidArgumentError],
    ['unknown option', { name: 'x', options: { foo: 'bar' } }, /^unsupported bridge network option foo/, InvalidArgumentError],
    ['bad mtu', { name: 'x', options: { mtu: 'abc' } }, /^invalid mtu "abc"/, InvalidArgumentError],
    ['negative mtu', { name: 'x', options: { mtu: '-1' } }, /^mtu -1 is less than zero$/, InvalidArgumentError],
    ['vlan range', { name: 'x', options: { vlan: '5000' } }, /^vlan ID 5000 must be between 0 and 4094$/, InvalidArgumentError],
    ['bad isolate', { name: 'x', options: { isolate: 'maybe' } }, /^invalid isolate option "maybe"/, InvalidArgumentError],
    ['bad metric', { name: 'x', options: { metric: '-3' } }, /^invalid metric "-3"/, InvalidArgumentError],
    ['bad bridge name', { name: 'x', interfaceName: 'a b' }, /^bridge name a b invalid/, InvalidArgumentError],
    ['dhcp', { name: 'x', ipamDriver: 'dhcp' }, /^dhcp ipam driver is not yet supported with netavark/, InvalidArgumentError],
    ['none with subnet', { name: 'x', ipamDriver: 'none', subnets: ['10.60.0.0/24'] }, /^none ipam driver is set but subnets are given/, InvalidArgumentError],
    ['unknown ipam', { name: 'x', ipamDriver: 'xx' }, /^unsupported ipam driver "xx"/, InvalidArgumentError],
  ];
  for (const [title, opts, message, type] of invalid) {
    it(`refuses: ${title}`, () => {
      const store = newStore();
      store.create({ name: 'taken' });
      assert.throws(
        () => store.create(opts),
        (e: unknown) => e instanceof type && message.test((e as Error).message) && !(e as Error).message.includes('\n'),
      );
      assert.deepEqual(store.list().map((n) => n.name), ['podman', 'taken']);
    });
  }

  it('normalises host bits, gateways and ranges as Podman does', () => {
    const store = newStore();
    const net = store.create({ name: 'hb', subnets: ['10.77.0.5/24', 'fd00:0:0:0:0:0:0:0/64'], gateways: ['10.77.0.254', 'fd00:0::00fe'] });
    assert.deepEqual(net.subnets, [
      { subnet: '10.77.0.0/24', gateway: '10.77.0.254' },
      { subnet: 'fd00::/64', gateway: 'fd00::fe' },
    ]);
  });

  it('succeeds on an existing name with ignore', () => {
    const store = newStore();
    const first = store.create({ name: 'a' });
    assert.equal(store.create({ name: 'a', ignore: true }).id, first.id);
  });

  it('removes networks, but never the default one', () => {
    const store = newStore();
    const a = store.create({ name: 'a' });
    assert.equal(store.remove(a.id.slice(0, 6)).name, 'a');
    assert.equal(existsSync(join(store.configDir, 'a.json')), false);
    assert.throws(() => store.remove('a'), NoSuchNetworkError);
    assert.throws(() => store.remove('podman'), (e: unknown) => e instanceof TspodError && e.message === 'default network podman cannot be removed');
  });

  it('skips unreadable and malformed files with one warning each', () => {
    const warnings: string[] = [];
    const store = newStore(warnings);
    store.create({ name: 'good' });
    const dir = store.configDir;
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    writeFileSync(join(dir, 'mismatch.json'), SAMPLE);
    writeFileSync(join(dir, 'badid.json'), SAMPLE.replace('"pmtest"', '"badid"').replace(/"id": "[0-9a-f]+"/, '"id": "123"'));
    writeFileSync(join(dir, 'badgw.json'), SAMPLE.replace('"pmtest"', '"badgw"').replace('"10.77.0.1"', '"10.78.0.1"'));
    writeFileSync(join(dir, 'array.json'), '[]');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    assert.deepEqual(store.list().map((n) => n.name), ['good', 'podman']);
    assert.equal(warnings.length, 5);
    assert.ok(warnings.some((w) => w.startsWith(`Error reading network config file "${join(dir, 'broken.json')}"`)));
    assert.ok(warnings.some((w) => w === 'Network config name "pmtest" does not match file name "mismatch.json", skipping'));
    assert.ok(warnings.some((w) => /could not be parsed, skipping: invalid network ID "123"/.test(w)));
    assert.ok(warnings.some((w) => /could not be parsed, skipping: gateway 10\.78\.0\.1 not in subnet 10\.77\.0\.0\/24/.test(w)));
  });

  it('completes a hand-written file: gateway and ipv6_enabled', () => {
    const store = newStore();
    store.create({ name: 'x' });
    writeFileSync(
      join(store.configDir, 'hand.json'),
      JSON.stringify({ name: 'hand', id: 'a'.repeat(64), driver: 'bridge', network_interface: 'br7', subnets: [{ subnet: 'fd01::/64' }] }),
    );
    const net = store.get('hand');
    assert.deepEqual(net.subnets, [{ subnet: 'fd01::/64', gateway: 'fd01::1' }]);
    assert.equal(net.ipv6_enabled, true);
    assert.equal(net.created, '0001-01-01T00:00:00Z');
  });
});

describe('addresses', () => {
  it('parses and prints IPs like Go', () => {
    assert.equal(formatIp(6, parseIp('fdaf:0a27:4cf7:024b:0:0:0:1')!.value), 'fdaf:a27:4cf7:24b::1');
    assert.equal(formatIp(6, parseIp('::')!.value), '::');
    assert.equal(formatIp(6, parseIp('1:0:0:1:0:0:0:1')!.value), '1:0:0:1::1');
    assert.equal(formatIp(6, parseIp('1:0:1:0:1:0:1:0')!.value), '1:0:1:0:1:0:1:0');
    assert.equal(formatIp(6, parseIp('::ffff:1.2.3.4')!.value), '::ffff:102:304');
    assert.equal(parseIp('1.2.3'), undefined);
    assert.equal(parseIp('1:2:3:4:5:6:7:8:9'), undefined);
    assert.equal(parseIp('1::2::3'), undefined);
    assert.deepEqual(parseCidr('10.1.2.3/8'), { family: 4, ip: 0x0a010203n, prefix: 8 });
  });

  it('reads IPv4 routes from /proc/net/route', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'tun0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0',
    ].join('\n');
    assert.deepEqual(procRoutes(text), ['192.0.2.0/24', '10.0.0.0/8']);
  });
});
