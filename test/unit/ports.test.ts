import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { Command } from 'commander';
import {
  assignRandomHostPorts,
  canonicalIp,
  exposedFromImage,
  formatPortMappings,
  inspectPortBindings,
  mappingsFromInspect,
  mergeAndValidate,
  parseExpose,
  parsePortFilter,
  parsePublish,
  portLines,
  probePort,
  publishAll,
} from '../../src/engine/network/ports.js';
import type { PortMapping } from '../../src/engine/network/types.js';
import port from '../../src/cli/commands/container/port.js';
import type { CommandContext } from '../../src/cli/command.js';
import type { ContainerSummary, Engine } from '../../src/engine/types.js';
import { NoSuchContainerError } from '../../src/util/errors.js';

/** A mapping from `[ip, hostPort, containerPort, range, protocol]`. */
function pm(host_ip: string, host_port: number, container_port: number, range = 1, protocol = 'tcp'): PortMapping {
  return { host_ip, container_port, host_port, range, protocol };
}

describe('parsePublish', () => {
  it('reads every form podman takes', () => {
    const cases: Array<[string, PortMapping[]]> = [
      ['80', [pm('', 0, 80)]],
      ['8080:80', [pm('', 8080, 80)]],
      [':80', [pm('', 0, 80)]],
      ['127.0.0.1:8080:80', [pm('127.0.0.1', 8080, 80)]],
      ['127.0.0.1::80', [pm('127.0.0.1', 0, 80)]],
      ['0.0.0.0:8080:80', [pm('', 8080, 80)]],
      ['[::1]:8080:80', [pm('::1', 8080, 80)]],
      ['[::1]::80/udp', [pm('::1', 0, 80, 1, 'udp')]],
      ['[2001:DB8:0:0:0:0:0:1]:8080:80', [pm('2001:db8::1', 8080, 80)]],
      ['[::ffff:10.0.0.1]:8080:80', [pm('10.0.0.1', 8080, 80)]],
      ['[::]:8080:80', [pm('::', 8080, 80)]],
      ['8000-8002:80-82', [pm('', 8000, 80, 3)]],
      ['8000-8002:80-82/udp', [pm('', 8000, 80, 3, 'udp')]],
      ['80-82', [pm('', 0, 80, 3)]],
      ['127.0.0.1::80-82/sctp', [pm('127.0.0.1', 0, 80, 3, 'sctp')]],
      ['53:53/tcp,udp', [pm('', 53, 53, 1, 'tcp'), pm('', 53, 53, 1, 'udp')]],
      ['53/UDP,tcp,udp', [pm('', 0, 53, 1, 'udp'), pm('', 0, 53, 1, 'tcp')]],
      ['+80', [pm('', 0, 80)]],
      ['65535:1', [pm('', 65535, 1)]],
    ];
    for (const [value, expected] of cases) assert.deepEqual(parsePublish(value), expected, value);
  });

  it('rejects bad values with one line naming them', () => {
    const bad = (value: string, detail: string): [string, string] => [value, `invalid --publish "${value}": ${detail}`];
    const cases: Array<[string, string]> = [
      bad('80/tcp/udp', 'protocol can only be specified once: use [[ip:][hostPort]:]containerPort[/protocol]'),
      bad('80/', 'must provide a non-empty protocol to publish: use tcp, udp or sctp'),
      bad('80/icmp', 'unrecognized protocol "icmp" in port mapping: use tcp, udp or sctp'),
      bad('[::1]8080:80', "IPv6 address must be followed by a colon (':'): use [ipv6]:hostPort:containerPort"),
      bad('::1]:8080:80', 'IPv6 addresses must be enclosed by []'),
      bad('[::1]:[::2]:80', 'at most one IPv6 address can be specified in a --publish'),
      bad('[::1]:80', 'must provide host and destination port if specifying an IP: use [ipv6]:hostPort:containerPort'),
      bad('[::1]:1:8080:80', 'when v6 address specified, must be [ipv6]:hostPort:ctrPort'),
      bad('::1:8080:80', 'format is [[hostIP:]hostPort:]containerPort (IPv6 addresses go in brackets: [::1]:8080:80)'),
      bad('', 'must provide a non-empty container port to publish'),
      bad('8080:', 'must provide a non-empty container port to publish'),
      bad(':8080:80', 'must provide a non-empty container host IP to publish'),
      bad('localhost:8080:80', 'cannot parse "localhost" as an IP address'),
      bad('1.2.3:8080:80', 'cannot parse "1.2.3" as an IP address'),
      bad('[fe80::1%eth0]:8080:80', 'cannot parse "fe80::1%eth0" as an IP address'),
      bad('http', 'parsing container port: invalid port number "http": not a number'),
      bad('0', 'parsing container port: port numbers must be between 1 and 65535 (inclusive), got 0'),
      bad('65536', 'parsing container port: port numbers must be between 1 and 65535 (inclusive), got 65536'),
      bad('-80', 'parsing container port: port numbers cannot be negative'),
      bad('80-', 'parsing container port: must provide ending number for port range "80-"'),
      bad('80-80', 'parsing container port: the end port of a range must be higher than the start port - 80 is not higher than 80'),
      bad('1-2-3', 'parsing container port: "1-2-3" is not a port or range: port ranges are formatted as startPort-stopPort'),
      bad('x:80', 'parsing host port: invalid port number "x": not a number'),
      bad('70000:80', 'parsing host port: port numbers must be between 1 and 65535 (inclusive), got 70000'),
      bad('8080-8081:80', 'host and container port ranges have different lengths: 2 vs 1: give ranges of the same length, or leave the host port empty for random ones'),
      bad('8080:80-82', 'host and container port ranges have different lengths: 1 vs 3: give ranges of the same length, or leave the host port empty for random ones'),
    ];
    for (const [value, message] of cases) assert.throws(() => parsePublish(value), { name: 'InvalidArgumentError', message }, value);
  });

  it('takes an empty item in a protocol list as tcp, as podman does', () => {
    assert.deepEqual(parsePublish('53/udp,'), [pm('', 0, 53, 1, 'udp'), pm('', 0, 53, 1, 'tcp')]);
  });
});

describe('canonicalIp', () => {
  it('prints addresses as Go does and refuses non-addresses', () => {
    assert.equal(canonicalIp('10.1.2.3'), '10.1.2.3');
    assert.equal(canonicalIp('FE80:0000::0001'), 'fe80::1');
    assert.equal(canonicalIp('::ffff:192.168.1.1'), '192.168.1.1');
    assert.equal(canonicalIp('010.1.2.3'), undefined);
    assert.equal(canonicalIp('fe80::1%lo'), undefined);
    assert.equal(canonicalIp('example.com'), undefined);
  });
});

describe('parseExpose and exposedFromImage', () => {
  it('reads ports, ranges and protocol lists', () => {
    assert.deepEqual(parseExpose('80'), [{ port: 80, protocol: 'tcp', range: 1 }]);
    assert.deepEqual(parseExpose('8000-8010/udp'), [{ port: 8000, protocol: 'udp', range: 11 }]);
    assert.deepEqual(parseExpose('53/TCP,udp'), [
      { port: 53, protocol: 'tcp', range: 1 },
      { port: 53, protocol: 'udp', range: 1 },
    ]);
  });

  it('rejects what podman rejects', () => {
    const cases: Array<[string, string]> = [
      ['80/tcp/udp', 'protocol can only be specified once: use PORT[-END][/PROTOCOL]'],
      ['80/sctp', 'validating protocols for exposed port 80: protocol SCTP is not allowed for exposed ports'],
      ['80/gre', 'validating protocols for exposed port 80: unrecognized protocol "gre" in port mapping: use tcp, udp or sctp'],
      ['0', 'port numbers must be between 1 and 65535 (inclusive), got 0'],
      ['90-80', 'the end port of a range must be higher than the start port - 80 is not higher than 90'],
      ['web', 'invalid port number "web": not a number'],
    ];
    for (const [value, detail] of cases) assert.throws(() => parseExpose(value), { name: 'InvalidArgumentError', message: `invalid --expose "${value}": ${detail}` }, value);
  });

  it('reads an image config, ordered by port', () => {
    assert.deepEqual(exposedFromImage({ '8080/udp': {}, '443/tcp': {}, '8080/tcp': {}, '53': {}, '9000-9001/tcp': {} }), [
      { port: 53, protocol: 'tcp', range: 1 },
      { port: 443, protocol: 'tcp', range: 1 },
      { port: 8080, protocol: 'tcp', range: 1 },
      { port: 8080, protocol: 'udp', range: 1 },
      { port: 9000, protocol: 'tcp', range: 2 },
    ]);
    assert.deepEqual(exposedFromImage(undefined), []);
    assert.deepEqual(exposedFromImage({}), []);
    assert.throws(() => exposedFromImage({ 'x/tcp': {} }), { message: 'unable to convert image EXPOSE "x/tcp": invalid port number "x": not a number' });
  });
});

describe('publishAll', () => {
  it('adds a random host port for every exposed port not yet published', () => {
    const existing = [pm('', 8080, 80), pm('127.0.0.1', 9000, 9000, 2, 'udp')];
    const exposed = [...parseExpose('80'), ...parseExpose('443'), ...parseExpose('8999-9002/udp'), ...parseExpose('53/udp,tcp'), ...parseExpose('443/tcp')];
    assert.deepEqual(publishAll(exposed, existing), [
      ...existing,
      pm('', 0, 53, 1, 'tcp'),
      pm('', 0, 53, 1, 'udp'),
      pm('', 0, 443, 1, 'tcp'),
      pm('', 0, 8999, 1, 'udp'),
      pm('', 0, 9002, 1, 'udp'),
    ]);
  });

  it('counts comma protocol lists as published', () => {
    assert.deepEqual(publishAll(parseExpose('53/tcp,udp'), [pm('', 53, 53, 1, 'tcp,udp')]), [pm('', 53, 53, 1, 'tcp,udp')]);
    assert.deepEqual(publishAll([], []), []);
  });
});

describe('mergeAndValidate', () => {
  const merge = (...values: string[]): PortMapping[] => mergeAndValidate(values.flatMap(parsePublish));

  it('joins ports that run in step into ranges, per host IP and protocol', () => {
    const cases: Array<[string[], PortMapping[]]> = [
      [['8080:80'], [pm('', 8080, 80)]],
      [['8081:81', '8080:80', '8082:82'], [pm('', 8080, 80, 3)]],
      [['8080-8082:80-82', '8081:81'], [pm('', 8080, 80, 3)]],
      [['8080-8081:80-81', '8082-8083:82-83'], [pm('', 8080, 80, 4)]],
      [['8080-8082:80-82', '8081-8085:81-85'], [pm('', 8080, 80, 6)]],
      [['8080:80', '8080:80'], [pm('', 8080, 80)]],
      [['8080:80', '8081:90'], [pm('', 8080, 80), pm('', 8081, 90)]],
      [['8080:80', '8080:80/udp'], [pm('', 8080, 80), pm('', 8080, 80, 1, 'udp')]],
      [['8080:80', '127.0.0.1:8081:81'], [pm('', 8080, 80), pm('127.0.0.1', 8081, 81)]],
      [['8080:80', '127.0.0.1:8080:81'], [pm('', 8080, 80), pm('127.0.0.1', 8080, 81)]],
      [['9000:90', '8000:80'], [pm('', 8000, 80), pm('', 9000, 90)]],
      [['53:53/udp,tcp', '54:54/tcp'], [pm('', 53, 53, 2, 'tcp'), pm('', 53, 53, 1, 'udp')]],
      // Random host ports: overlapping container ports join, neighbours stay apart.
      [['80', '81'], [pm('', 0, 80), pm('', 0, 81)]],
      [['80-82', '81'], [pm('', 0, 80, 3)]],
      [['80-82', '82-84'], [pm('', 0, 80, 5)]],
      [['8080:80', '80'], [pm('', 8080, 80), pm('', 0, 80)]],
      [['90', '8080:80', '70'], [pm('', 8080, 80), pm('', 0, 70), pm('', 0, 90)]],
    ];
    for (const [values, expected] of cases) assert.deepEqual(merge(...values), expected, values.join(' '));
  });

  it('orders groups by first host IP, then tcp, udp, sctp', () => {
    assert.deepEqual(merge('127.0.0.1:1:1/sctp', '2:2/udp', '127.0.0.1:3:3/tcp', '4:4'), [
      pm('127.0.0.1', 3, 3),
      pm('127.0.0.1', 1, 1, 1, 'sctp'),
      pm('', 4, 4),
      pm('', 2, 2, 1, 'udp'),
    ]);
  });

  it('rejects a host port given to two container ports', () => {
    const cases: Array<[string[], string]> = [
      [['8080:80', '8080:81'], 'conflicting port mappings for host port 8080 (protocol tcp): a host port can be published for one container port only'],
      [['8080-8082:80-82', '8082:90'], 'conflicting port mappings for host port 8082 (protocol tcp): a host port can be published for one container port only'],
      [['127.0.0.1:53:53/udp', '127.0.0.1:53:54/udp'], 'conflicting port mappings for host port 53 (protocol udp): a host port can be published for one container port only'],
    ];
    for (const [values, message] of cases) assert.throws(() => merge(...values), { name: 'InvalidArgumentError', message }, values.join(' '));
  });

  it('checks mappings that did not come from the command line', () => {
    const cases: Array<[PortMapping, string]> = [
      [pm('', 80, 80, 1, 'icmp'), 'invalid port mapping "80:80/icmp": unrecognized protocol "icmp" in port mapping: use tcp, udp or sctp'],
      [pm('nowhere', 80, 80), 'invalid IP address "nowhere" in port mapping'],
      [pm('', 80, 0), 'container port number must be between 1 and 65535, got 0'],
      [pm('', 70000, 80), 'host port number must be between 0 (random) and 65535, got 70000'],
      [pm('', 80, 65535, 2), 'container port range exceeds maximum allowable port number: "80-81:65535-65536/tcp"'],
      [pm('', 65535, 80, 2), 'host port range exceeds maximum allowable port number: "65535-65536:80-81/tcp"'],
    ];
    for (const [mapping, message] of cases) assert.throws(() => mergeAndValidate([mapping]), { name: 'InvalidArgumentError', message });
    assert.deepEqual(mergeAndValidate([pm('', 80, 80, 0, '')]), [pm('', 80, 80)]);
    assert.deepEqual(mergeAndValidate([]), []);
  });
});

describe('formatPortMappings', () => {
  it('prints the PORTS column as podman ps', () => {
    const cases: Array<[PortMapping[] | null, string]> = [
      [[pm('127.0.0.1', 18080, 80)], '127.0.0.1:18080->80/tcp'],
      [[pm('', 8000, 80, 3)], '0.0.0.0:8000-8002->80-82/tcp'],
      [[pm('', 8080, 80), pm('::1', 53, 53, 1, 'udp'), pm('', 1, 1, 1, 'sctp')], '0.0.0.0:8080->80/tcp, ::1:53->53/udp, 0.0.0.0:1->1/sctp'],
      [[pm('', 53, 53, 1, 'tcp,udp')], '0.0.0.0:53->53/tcp, 0.0.0.0:53->53/udp'],
      [[], ''],
      [null, ''],
    ];
    for (const [mappings, expected] of cases) assert.equal(formatPortMappings(mappings), expected);
  });
});

describe('portLines', () => {
  const mappings = [pm('127.0.0.1', 18080, 80), pm('', 8000, 8000, 3, 'udp'), pm('', 9090, 80), pm('::1', 53, 53, 1, 'tcp,udp')];

  it('prints every port as podman port', () => {
    assert.deepEqual(portLines(mappings), [
      '80/tcp -> 127.0.0.1:18080',
      '8000/udp -> 0.0.0.0:8000',
      '8001/udp -> 0.0.0.0:8001',
      '8002/udp -> 0.0.0.0:8002',
      '80/tcp -> 0.0.0.0:9090',
      '53/tcp -> ::1:53',
      '53/udp -> ::1:53',
    ]);
    assert.deepEqual(portLines([]), []);
  });

  it('prints the host side of one port, tcp unless told', () => {
    assert.deepEqual(portLines(mappings, '80'), ['127.0.0.1:18080', '0.0.0.0:9090']);
    assert.deepEqual(portLines(mappings, '80/tcp'), ['127.0.0.1:18080', '0.0.0.0:9090']);
    assert.deepEqual(portLines(mappings, '8001/udp'), ['0.0.0.0:8001']);
    assert.deepEqual(portLines(mappings, '53/udp'), ['::1:53']);
  });

  it('fails for a port that is not published, or a malformed one', () => {
    assert.throws(() => portLines(mappings, '81/tcp'), { message: 'failed to find published port "81/tcp"' });
    assert.throws(() => portLines(mappings, '8001'), { message: 'failed to find published port "8001"' });
    assert.throws(() => portLines(mappings, '80/udp'), { message: 'failed to find published port "80/udp"' });
    assert.throws(() => portLines(mappings, '80/tcp/x'), { name: 'InvalidArgumentError', message: "port formats are port/protocol. '80/tcp/x' is invalid" });
    assert.throws(() => portLines(mappings, 'http'), { name: 'InvalidArgumentError', message: 'strconv.ParseUint: parsing "http": invalid syntax' });
    assert.throws(() => portLines(mappings, '70000'), { name: 'InvalidArgumentError', message: 'strconv.ParseUint: parsing "70000": value out of range' });
  });

  it('parses filters', () => {
    assert.deepEqual(parsePortFilter('80'), { port: 80, protocol: 'tcp' });
    assert.deepEqual(parsePortFilter('53/udp'), { port: 53, protocol: 'udp' });
  });
});

describe('inspect port bindings', () => {
  it('lists each port under PORT/PROTO, exposed ones as null, keys in Go order', () => {
    const ports = inspectPortBindings([pm('127.0.0.1', 18080, 80), pm('', 8000, 8000, 2, 'udp'), pm('', 9090, 80)], parseExpose('443'));
    assert.equal(
      JSON.stringify(ports),
      JSON.stringify({
        '443/tcp': null,
        '80/tcp': [
          { HostIp: '127.0.0.1', HostPort: '18080' },
          { HostIp: '', HostPort: '9090' },
        ],
        '8000/udp': [{ HostIp: '', HostPort: '8000' }],
        '8001/udp': [{ HostIp: '', HostPort: '8001' }],
      }),
    );
  });

  it('reads them back into mappings in podman order', () => {
    const mappings = [pm('', 9090, 80), pm('127.0.0.1', 18080, 80), pm('', 8000, 8000, 3, 'udp'), pm('', 53, 53, 1, 'tcp')];
    assert.deepEqual(mappingsFromInspect(inspectPortBindings(mappings, parseExpose('443'))), [
      pm('', 53, 53),
      pm('', 9090, 80),
      pm('', 8000, 8000, 3, 'udp'),
      pm('127.0.0.1', 18080, 80),
    ]);
    assert.deepEqual(mappingsFromInspect({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] }), [pm('', 8080, 80)]);
    assert.deepEqual(mappingsFromInspect({}), []);
    assert.deepEqual(mappingsFromInspect(undefined), []);
  });
});

// ------------------------------------------------------------------ random host ports

function canBindTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function canBindUdp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/** A `taken` that claims what it is asked about, as an engine serialising creations would. */
function claimer(): { taken: (ip: string, port: number, protocol: string) => boolean; claimed: Set<string> } {
  const claimed = new Set<string>();
  return {
    claimed,
    taken: (ip, port, protocol) => {
      const key = `${ip}|${port}|${protocol}`;
      if (claimed.has(key)) return true;
      claimed.add(key);
      return false;
    },
  };
}

describe('assignRandomHostPorts', () => {
  it('gives a burst of containers free, distinct ports', { timeout: 20_000 }, async () => {
    const { taken } = claimer();
    const requests = Array.from({ length: 20 }, (_, i) => [pm('127.0.0.1', 0, 80 + i), pm('127.0.0.1', 0, 53, 1, 'udp'), pm('127.0.0.1', 0, 9000, 3), pm('127.0.0.1', 8080 + i, 8080)]);
    const results = await Promise.all(requests.map((r) => assignRandomHostPorts(r, taken)));
    const tcp = new Set<number>();
    const udp = new Set<number>();
    for (const [i, [single, dns, range, fixed]] of results.entries()) {
      assert.deepEqual(fixed, pm('127.0.0.1', 8080 + i, 8080));
      assert.deepEqual({ ...single!, host_port: 0 }, requests[i]![0]);
      assert.deepEqual({ ...range!, host_port: 0 }, requests[i]![2]);
      assert.equal(dns!.protocol, 'udp');
      for (const p of [single!.host_port, range!.host_port, range!.host_port + 1, range!.host_port + 2]) {
        assert.ok(p >= 1024 && p <= 65535, `${p}`);
        assert.ok(!tcp.has(p), `tcp ${p} given twice`);
        tcp.add(p);
      }
      assert.ok(!udp.has(dns!.host_port), `udp ${dns!.host_port} given twice`);
      udp.add(dns!.host_port);
    }
    for (const p of tcp) assert.ok(await canBindTcp('127.0.0.1', p), `tcp ${p} is not free`);
    for (const p of udp) assert.ok(await canBindUdp('127.0.0.1', p), `udp ${p} is not free`);
  });

  it('binds on every address for an empty host IP', async () => {
    const [m] = await assignRandomHostPorts([pm('', 0, 80, 1, 'tcp,udp')], () => false);
    assert.ok(m!.host_port > 0);
    assert.equal(m!.protocol, 'tcp,udp');
    assert.ok(await canBindTcp('0.0.0.0', m!.host_port));
    assert.ok(await canBindUdp('0.0.0.0', m!.host_port));
  });

  it('skips a port in use on the host', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const busy = (server.address() as { port: number }).port;
    try {
      assert.equal(await probePort('tcp', '127.0.0.1', busy), undefined);
      assert.equal(await probePort('tcp', '127.0.0.1', 0).then((p) => p !== undefined && p !== busy), true);
      let first = true;
      const fake = async (protocol: string, hostIp: string, p: number): Promise<number | undefined> => {
        if (p === 0 && first) return ((first = false), busy);
        return probePort(protocol, hostIp, p);
      };
      const [m] = await assignRandomHostPorts([pm('127.0.0.1', 0, 80)], () => false, fake);
      assert.notEqual(m!.host_port, busy);
    } finally {
      server.close();
    }
  });

  it('avoids the container\'s own and other containers\' ports, then gives up', async () => {
    const offers = [40000, 40001, 40002, 40010];
    const fake = async (_protocol: string, _ip: string, p: number): Promise<number | undefined> => (p === 0 ? offers.shift() : p);
    // 40000 is this container's, 40001 another's, 40002's range would run into 40003 (another's).
    const others = new Set([40001, 40003]);
    const result = await assignRandomHostPorts([pm('', 40000, 40000), pm('', 0, 80, 2)], (_ip, p) => others.has(p), fake);
    assert.deepEqual(result, [pm('', 40000, 40000), pm('', 40010, 80, 2)]);

    const never = async (_protocol: string, _ip: string, p: number): Promise<number | undefined> => (p === 0 ? 65535 : p);
    await assert.rejects(assignRandomHostPorts([pm('', 0, 8000, 3)], () => false, never), {
      message: 'failed to find an open port to expose container port 8000 with range 3 on the host after 20 attempts: publish it on a chosen host port (-p HOSTPORT:8000)',
    });
    await assert.rejects(assignRandomHostPorts([pm('', 0, 80)], () => true, never), {
      message: 'failed to find an open port to expose container port 80 on the host after 20 attempts: publish it on a chosen host port (-p HOSTPORT:80)',
    });
  });

  it('leaves fixed ports alone', async () => {
    const input = [pm('', 8080, 80), pm('127.0.0.1', 9000, 9000, 3, 'udp')];
    assert.deepEqual(await assignRandomHostPorts(input, () => true), input);
  });
});

// ------------------------------------------------------------------ port command

interface FakeContainer {
  id: string;
  name: string;
  state: string;
  ports: PortMapping[];
}

const CONTAINERS: FakeContainer[] = [
  { id: 'a'.repeat(64), name: 'web', state: 'running', ports: [pm('127.0.0.1', 18080, 80), pm('', 8000, 8000, 2, 'udp')] },
  { id: 'b'.repeat(64), name: 'plain', state: 'running', ports: [] },
  { id: 'c'.repeat(64), name: 'stopped', state: 'exited', ports: [pm('', 8081, 81)] },
  { id: 'd'.repeat(64), name: 'db', state: 'running', ports: [pm('', 5432, 5432)] },
];

async function runPort(argv: string[]): Promise<string> {
  const cmd = new Command('tspod port');
  port.configure(cmd);
  cmd.exitOverride();
  let args: string[] = [];
  cmd.action((...params: unknown[]) => {
    args = (params[params.length - 1] as Command).args;
  });
  cmd.parse(argv, { from: 'user' });
  const find = (name: string): FakeContainer | undefined => CONTAINERS.find((c) => c.name === name || c.id.startsWith(name));
  const engine = {
    containers: {
      list: async (opts: { all?: boolean; last?: number }) => {
        const listed = CONTAINERS.filter((c) => opts.all || c.state === 'running').map(
          (c) => ({ Id: c.id, Names: [c.name], State: c.state, Ports: c.ports.length ? c.ports : null }) as unknown as ContainerSummary,
        );
        return opts.last ? listed.slice(-opts.last) : listed;
      },
      inspect: async (names: string[]) =>
        names.map((n) => {
          const c = find(n);
          if (!c) return new NoSuchContainerError(`no container with name or ID "${n}" found: no such container`);
          return { Id: c.id, State: { Status: c.state }, NetworkSettings: { Ports: inspectPortBindings(c.ports, parseExpose('443')) } };
        }),
    },
  } as unknown as Engine;
  let out = '';
  const ctx: CommandContext = {
    globals: {} as CommandContext['globals'],
    engine: async () => engine,
    out: (text) => void (out += text),
    err: () => undefined,
    stdoutIsTty: false,
    stderrIsTty: false,
  };
  await port.run(ctx, args, cmd.opts());
  return out;
}

describe('port command', () => {
  it('prints a container\'s ports, or one of them', async () => {
    assert.equal(await runPort(['web']), '80/tcp -> 127.0.0.1:18080\n8000/udp -> 0.0.0.0:8000\n8001/udp -> 0.0.0.0:8001\n');
    assert.equal(await runPort(['web', '80']), '127.0.0.1:18080\n');
    assert.equal(await runPort(['web', '8001/udp']), '0.0.0.0:8001\n');
    assert.equal(await runPort(['-l']), '5432/tcp -> 0.0.0.0:5432\n');
    assert.equal(await runPort(['-l', '5432']), '0.0.0.0:5432\n');
  });

  it('prints every running container\'s ports with --all, prefixed by the short ID', async () => {
    assert.equal(
      await runPort(['-a']),
      `${'a'.repeat(12)}\t80/tcp -> 127.0.0.1:18080\n${'a'.repeat(12)}\t8000/udp -> 0.0.0.0:8000\n${'a'.repeat(12)}\t8001/udp -> 0.0.0.0:8001\n${'d'.repeat(12)}\t5432/tcp -> 0.0.0.0:5432\n`,
    );
  });

  it('prints nothing for a container that is not running or publishes nothing, as podman', async () => {
    assert.equal(await runPort(['stopped']), '');
    assert.equal(await runPort(['stopped', '81']), '');
    assert.equal(await runPort(['plain', '80']), '');
  });

  it('fails as podman does', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'you must supply a running container name or id'],
      [['-a', '-l'], '--all and --latest cannot be used together'],
      [['-a', 'web'], 'no arguments are needed with --all'],
      [['web', '80', 'x'], '`port` accepts at most 2 arguments'],
      [['web', '80/tcp/x'], "port formats are port/protocol. '80/tcp/x' is invalid"],
      [['web', 'http'], 'strconv.ParseUint: parsing "http": invalid syntax'],
      [['web', '81'], 'failed to find published port "81"'],
      [['web', '80/udp'], 'failed to find published port "80/udp"'],
      [['nope'], 'no container with name or ID "nope" found: no such container'],
    ];
    for (const [argv, message] of cases) await assert.rejects(runPort(argv), { message }, argv.join(' '));
  });
});
