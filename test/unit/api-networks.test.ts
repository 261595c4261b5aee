import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  dockerNetwork,
  endpointOf,
  networkConnectOptions,
  networkCreateOptions,
  networkDisconnectOptions,
  networkListFilters,
} from '../../src/api/compat/networks.js';
import { dockerVolume, versionBefore, volumeCreateOptions, volumePruneFilters } from '../../src/api/compat/volumes.js';
import type { NetworkConfig } from '../../src/engine/types.js';
import { BadInputError } from '../../src/util/errors.js';

const network: NetworkConfig = {
  name: 'podman',
  id: 'a'.repeat(64),
  driver: 'bridge',
  network_interface: 'podman0',
  created: '2024-03-01T10:00:00.123456789Z',
  subnets: [{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }, { subnet: 'fd00::/64' }],
  ipv6_enabled: true,
  internal: false,
  dns_enabled: false,
  ipam_options: { driver: 'host-local' },
};

describe('networks in Docker shape', () => {
  it('shows a network under the name given, with Docker zero values', () => {
    assert.deepEqual(dockerNetwork(network, 'bridge'), {
      Name: 'bridge',
      Id: network.id,
      Created: network.created,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: true,
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.88.0.0/16', Gateway: '10.88.0.1' }, { Subnet: 'fd00::/64' }] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: {},
      Labels: {},
    });
    assert.equal(dockerNetwork({ ...network, ipam_options: { driver: 'none' } }, 'x').IPAM.Driver, 'none');
  });

  it('reads an endpoint from a container inspect report, with CIDR addresses', () => {
    const inspect = {
      Id: 'c1',
      Name: 'web',
      NetworkSettings: {
        Networks: {
          side: { EndpointID: '', MacAddress: '0a:00:00:00:00:01', IPAddress: '10.1.0.5', IPPrefixLen: 24, GlobalIPv6Address: 'fd00::5', GlobalIPv6PrefixLen: 64 },
          idle: { MacAddress: '', IPAddress: '' },
        },
      },
    };
    assert.deepEqual(endpointOf(inspect, 'side'), {
      Name: 'web',
      EndpointID: '',
      MacAddress: '0a:00:00:00:00:01',
      IPv4Address: '10.1.0.5/24',
      IPv6Address: 'fd00::5/64',
    });
    assert.equal(endpointOf(inspect, 'idle'), undefined);
    assert.equal(endpointOf(inspect, 'other'), undefined);
  });

  it('passes engine filters through and applies type and scope itself', () => {
    const { engineFilters, keep } = networkListFilters(['name=a', 'type=builtin', 'label=x=y']);
    assert.deepEqual(engineFilters, ['name=a', 'label=x=y']);
    assert.equal(keep(network, 'podman'), true);
    assert.equal(keep({ ...network, name: 'mine' }, 'podman'), false);
    assert.equal(networkListFilters(['scope=swarm']).keep(network, 'podman'), false);
    assert.throws(() => networkListFilters(['type=odd']), BadInputError);
  });

  it('turns a create body into engine options, warning about options it ignores', () => {
    const { options, warning } = networkCreateOptions({
      Name: 'app',
      CheckDuplicate: true,
      Internal: true,
      EnableIPv6: false,
      Labels: { a: 'b' },
      Options: { 'com.docker.network.bridge.name': 'br-app', 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.enable_icc': 'true' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24', Gateway: '10.2.0.9', IPRange: '10.2.0.128/25' }] },
    });
    assert.deepEqual(options, {
      name: 'app',
      driver: 'bridge',
      internal: true,
      ipv6: false,
      labels: { a: 'b' },
      interfaceName: 'br-app',
      options: { mtu: '1400' },
      subnets: ['10.1.0.0/24', '10.2.0.0/24'],
      gateways: [undefined, '10.2.0.9'],
      ipRanges: [undefined, '10.2.0.128/25'],
    });
    assert.equal(warning, '"com.docker.network.bridge.enable_icc: true" is not a recognized option');
  });

  it('refuses create bodies with a missing name or a wrong type, naming the field', () => {
    assert.throws(() => networkCreateOptions({}), /field Name/);
    assert.throws(() => networkCreateOptions({ Name: 'x', Labels: ['a'] }), /field Labels: expected an object, got array/);
    assert.throws(() => networkCreateOptions({ Name: 'x', IPAM: { Config: {} } }), /field IPAM\.Config: expected a list/);
    assert.throws(() => networkCreateOptions({ Name: 'x', IPAM: { Config: [{ Subnet: 5 }] } }), /field IPAM\.Config\[0\]\.Subnet: expected a string/);
  });

  it('reads connect and disconnect bodies', () => {
    assert.deepEqual(
      networkConnectOptions({ Container: 'web', EndpointConfig: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.1.0.9', IPv6Address: '' }, MacAddress: '' } }),
      { container: 'web', options: { aliases: ['db'], ips: ['10.1.0.9'] } },
    );
    assert.deepEqual(networkConnectOptions({ Container: 'web', EndpointConfig: null }), { container: 'web', options: {} });
    assert.deepEqual(networkDisconnectOptions({ Container: 'web', Force: true }), { container: 'web', force: true });
    assert.throws(() => networkDisconnectOptions({}), /field Container/);
    assert.throws(() => networkConnectOptions({ Container: 'web', EndpointConfig: { Aliases: 'db' } }), /field EndpointConfig\.Aliases: expected a list/);
  });
});

describe('volumes in Docker shape', () => {
  it('shows CreatedAt to the second and zero values as empty maps', () => {
    const v = dockerVolume({
      Name: 'data',
      Driver: 'local',
      Mountpoint: '/var/lib/containers/storage/volumes/data/_data',
      CreatedAt: '2024-03-01T10:00:00.123456789+01:00',
      Labels: {},
      Scope: 'local',
      Options: {},
      MountCount: 0,
    });
    assert.deepEqual(v, {
      Name: 'data',
      Driver: 'local',
      Mountpoint: '/var/lib/containers/storage/volumes/data/_data',
      CreatedAt: '2024-03-01T10:00:00+01:00',
      Labels: {},
      Scope: 'local',
      Options: {},
    });
  });

  it('creates a named volume idempotently and a nameless one as anonymous', () => {
    assert.deepEqual(volumeCreateOptions({ Name: 'data', Driver: 'local', DriverOpts: {}, Labels: { a: 'b' } }), {
      name: 'data',
      ignore: true,
      driver: 'local',
      labels: { a: 'b' },
    });
    assert.deepEqual(volumeCreateOptions({ DriverOpts: { type: 'tmpfs', device: 'tmpfs' } }), { anonymous: true, options: { type: 'tmpfs', device: 'tmpfs' } });
    assert.throws(() => volumeCreateOptions({ Name: 7 }), /field Name: expected a string, got number/);
  });

  it('prunes only anonymous volumes from API 1.42 on, unless all=true', () => {
    assert.deepEqual(volumePruneFilters([], '1.44'), ['anonymous=true']);
    assert.deepEqual(volumePruneFilters([], undefined), ['anonymous=true']);
    assert.deepEqual(volumePruneFilters(['label=a'], '1.43'), ['label=a', 'anonymous=true']);
    assert.deepEqual(volumePruneFilters(['all=true', 'label=a'], '1.44'), ['label=a']);
    assert.deepEqual(volumePruneFilters(['all=false'], '1.44'), ['anonymous=true']);
    assert.deepEqual(volumePruneFilters([], '1.41'), []);
  });

  it('compares API versions numerically', () => {
    assert.equal(versionBefore('1.41', '1.42'), true);
    assert.equal(versionBefore('1.100', '1.42'), false);
    assert.equal(versionBefore('1.42', '1.42'), false);
  });
});
