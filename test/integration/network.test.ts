import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Sandbox, fixturesDir, freePort, httpGet, slotSubnet } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('network');
const IMG = 'localhost/tspod-test/busybox:latest';
const { prefix: defaultPrefix } = slotSubnet(box.netSlot);
// A second /24 per slot for user networks: 10.(216+N/256).(N%256).0/24.
const userPrefix = `10.${216 + (box.netSlot >> 8)}.${box.netSlot & 255}`;



/** The web server container: busybox httpd serving one page naming the container. */
const WEB = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

/** Waits until a container answers on its port inside the network (httpd needs a moment after start). */
function waitForHttp(args: string[], url: string): string {
  const r = box.run(['run', '--rm', ...args, IMG, 'sh', '-c', `for i in $(seq 1 100); do wget -qO- ${url} 2>/dev/null && exit 0; usleep 50000; done; exit 1`]);
  assert.equal(r.code, 0, `no answer from ${url}: ${r.stderr}`);
  return r.stdout;
}

function iptablesRules(): string {
  return execFileSync('iptables-save', { encoding: 'utf8' });
}

/** The container veths on a bridge (tspod's own anchor device left out). */
function bridgePorts(bridge: string): string[] {
  try {
    return execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '' && !l.includes(': tspa'));
  } catch {
    return [];
  }
}

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
});

after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

describe('default bridge network', () => {
  test('a container gets an address on the default network, with hosts and resolv.conf to match', () => {
    const out = box.ok(['run', '--rm', '--name', 'addr', '--hostname', 'hh', IMG, 'sh', '-c', 'ip -4 -o addr show eth0; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf']);
    const [addr = '', hosts = ''] = out.split('---\n');
    const ip = new RegExp(`inet (${defaultPrefix.replace(/\./g, '\\.')}\\.\\d+)/24`).exec(addr)?.[1];
    assert.ok(ip, `eth0 has an address in ${defaultPrefix}.0/24: ${addr}`);
    assert.match(hosts, new RegExp(`^${ip!.replace(/\./g, '\\.')}\\thh addr$`, 'm'));
    assert.match(hosts, new RegExp(`^${defaultPrefix.replace(/\./g, '\\.')}\\.1\\thost\\.containers\\.internal$`, 'm'));
  });

  test('--network none has only the loopback interface; host shares the host network', () => {
    assert.equal(box.ok(['run', '--rm', '--network', 'none', IMG, 'ls', '/sys/class/net']).trim(), 'lo');
    const hostIfaces = execFileSync('ls', ['/sys/class/net'], { encoding: 'utf8' }).trim().split('\n').sort();
    const seen = box.ok(['run', '--rm', '--network', 'host', IMG, 'ls', '/sys/class/net']).trim().split('\n').sort();
    assert.deepEqual(seen, hostIfaces);
  });

  test('a published port answers from the host on 127.0.0.1, and port, ps and inspect show it', async () => {
    const port = await freePort();
    const id = box.ok(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, IMG, ...WEB]).trim();
    try {
      const ip = box.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'web']).trim();
      waitForHttp([], `http://${ip}:80/`);
      const res = await httpGet(port);
      assert.equal(res.status, 200);
      assert.equal(res.body, `hello from ${id.slice(0, 12)}\n`);
      assert.equal(box.ok(['port', 'web']), `80/tcp -> 127.0.0.1:${port}\n`);
      assert.equal(box.ok(['port', 'web', '80']), `127.0.0.1:${port}\n`);
      assert.match(box.ok(['ps', '--format', '{{.Ports}}', '--filter', 'name=web']), new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp`));
      const inspect = JSON.parse(box.ok(['inspect', 'web']))[0];
      assert.deepEqual(inspect.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
      assert.equal(inspect.HostConfig.NetworkMode, 'bridge');
      assert.ok(inspect.NetworkSettings.Networks.podman.IPAddress.startsWith(`${defaultPrefix}.`));
      assert.match(inspect.NetworkSettings.SandboxKey, /^\/run\/netns\/tspod-/);
    } finally {
      box.run(['rm', '-f', '-t', '0', 'web']);
    }
    assert.doesNotMatch(iptablesRules(), new RegExp(`dport ${port}\\b`), 'no DNAT rule outlives the container');
  });

  test('-P publishes exposed ports on random host ports', async () => {
    box.ok(['run', '-d', '--name', 'puball', '--expose', '80', '-P', IMG, ...WEB]);
    try {
      const line = box.ok(['port', 'puball']).trim();
      const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(line);
      assert.ok(m, line);
      const ip = box.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'puball']).trim();
      waitForHttp([], `http://${ip}:80/`);
      assert.equal((await httpGet(Number(m![1]))).status, 200);
      // Published on every address: another container reaches it through the host's side of the bridge.
      assert.match(waitForHttp([], `http://${defaultPrefix}.1:${m![1]}/`), /hello from/);
    } finally {
      box.run(['rm', '-f', '-t', '0', 'puball']);
    }
  });
});

describe('name resolution files and other modes', () => {
  test('--dns, --dns-search, --dns-option, --add-host and --no-hosts shape the files', () => {
    const out = box.ok([
      'run', '--rm', '--dns', '192.0.2.53', '--dns-search', 'example.test', '--dns-option', 'ndots:2', '--add-host', 'db:192.0.2.7', '--hostname', 'hh', '--name', 'files',
      IMG, 'sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts',
    ]);
    const [resolv = '', hosts = ''] = out.split('---\n');
    assert.equal(resolv, 'search example.test\nnameserver 192.0.2.53\noptions ndots:2\n');
    assert.match(hosts, /^192\.0\.2\.7\tdb\n/, '--add-host entries come first');
    assert.match(hosts, /\thh files\n$/);
    assert.equal(box.run(['run', '--rm', '--no-hosts', IMG, 'cat', '/etc/hosts']).code, 1, 'the image has no /etc/hosts');
    const none = box.ok(['run', '--rm', '--network', 'none', '--name', 'nonet', IMG, 'sh', '-c', 'cat /etc/hosts; ls /etc/resolv.conf 2>&1; true']);
    assert.match(none, /^127\.0\.0\.1\t[0-9a-f]{12} nonet$/m);
  });

  test('--network container: shares another container\'s namespace; ns: joins a named one', () => {
    box.ok(['run', '-d', '--name', 'netowner', IMG, ...WEB]);
    try {
      const ip = box.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'netowner']).trim();
      const seen = box.ok(['run', '--rm', '--network', 'container:netowner', IMG, 'sh', '-c', 'ip -4 -o addr show eth0; wget -qO- http://127.0.0.1:80/']);
      assert.match(seen, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
      assert.match(seen, /hello from/);
      const sandboxKey = box.ok(['inspect', '--format', '{{.NetworkSettings.SandboxKey}}', 'netowner']).trim();
      assert.match(box.ok(['run', '--rm', '--network', `ns:${sandboxKey}`, IMG, 'ip', '-4', '-o', 'addr', 'show', 'eth0']), new RegExp(ip.replace(/\./g, '\\.')));
      const stopped = box.run(['run', '--rm', '--network', 'container:nosuch', IMG, 'true']);
      assert.equal(stopped.code, 125);
      assert.match(stopped.stderr, /nosuch/);
    } finally {
      box.run(['rm', '-f', '-t', '0', 'netowner']);
    }
  });

  test('--mac-address and --ip are honoured; a taken --ip is refused', () => {
    const ip = `${defaultPrefix}.250`;
    box.ok(['run', '-d', '--name', 'fixed', '--ip', ip, '--mac-address', '92:d0:c6:0a:29:33', IMG, 'sleep', '1000']);
    try {
      const link = box.ok(['exec', 'fixed', 'ip', '-o', 'link', 'show', 'eth0']);
      assert.match(link, /92:d0:c6:0a:29:33/);
      assert.equal(box.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.MacAddress}}', 'fixed']), `${ip} 92:d0:c6:0a:29:33\n`);
      const clash = box.run(['run', '--rm', '--ip', ip, IMG, 'true']);
      assert.equal(clash.code, 125);
      assert.match(clash.stderr, /already allocated/);
    } finally {
      box.run(['rm', '-f', '-t', '0', 'fixed']);
    }
  });
});

describe('user networks', () => {
  test('containers on a user network reach each other by name, with aliases', () => {
    const created = box.run(['network', 'create', '--subnet', `${userPrefix}.0/24`, '--interface-name', `tspu${box.netSlot}`, 'appnet']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'appnet\n');
    box.ok(['run', '-d', '--name', 'srv', '--network', 'appnet', '--network-alias', 'backend', IMG, ...WEB]);
    try {
      assert.match(waitForHttp(['--network', 'appnet'], 'http://srv/'), /hello from/);
      assert.match(waitForHttp(['--network', 'appnet'], 'http://backend/'), /hello from/);
      const resolv = box.ok(['run', '--rm', '--network', 'appnet', IMG, 'cat', '/etc/resolv.conf']);
      assert.match(resolv, new RegExp(`^nameserver ${userPrefix.replace(/\./g, '\\.')}\\.1$`, 'm'));
      assert.match(resolv, /^search dns\.podman/m);
      const ip = box.ok(['run', '--rm', '--network', 'appnet:ip=' + `${userPrefix}.77`, IMG, 'sh', '-c', 'ip -4 -o addr show eth0']);
      assert.match(ip, new RegExp(`inet ${userPrefix.replace(/\./g, '\\.')}\\.77/24`));
    } finally {
      box.run(['rm', '-f', '-t', '0', 'srv']);
    }
    const removed = box.run(['network', 'rm', 'appnet']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch(iptablesRules(), new RegExp(userPrefix.replace(/\./g, '\\.')), 'network rules are gone with the network');
    assert.equal(existsSync(`/sys/class/net/tspu${box.netSlot}`), false, 'the bridge is gone');
  });

  test('network connect and disconnect change a running container', () => {
    box.ok(['network', 'create', '--subnet', `${userPrefix}.0/24`, '--interface-name', `tspu${box.netSlot}`, 'side']);
    box.ok(['run', '-d', '--name', 'hopper', IMG, 'sleep', '1000']);
    try {
      box.ok(['network', 'connect', 'side', 'hopper']);
      assert.match(box.ok(['exec', 'hopper', 'ip', '-4', '-o', 'addr']), new RegExp(`eth1 .*inet ${userPrefix.replace(/\./g, '\\.')}\\.`));
      assert.deepEqual(Object.keys(JSON.parse(box.ok(['inspect', 'hopper']))[0].NetworkSettings.Networks).sort(), ['podman', 'side']);
      const reloaded = box.run(['network', 'reload', 'hopper']);
      assert.equal(reloaded.code, 0, reloaded.stderr);
      assert.match(box.ok(['exec', 'hopper', 'ip', '-4', '-o', 'addr']), /eth1 /, 'reload keeps the interfaces');
      box.ok(['network', 'disconnect', 'side', 'hopper']);
      assert.doesNotMatch(box.ok(['exec', 'hopper', 'ip', '-o', 'link']), /eth1/);
      const busy = box.run(['network', 'rm', 'podman']);
      assert.notEqual(busy.code, 0);
    } finally {
      box.run(['rm', '-f', '-t', '0', 'hopper']);
      box.run(['network', 'rm', '-f', 'side']);
    }
  });
});

describe('IPv6', () => {
  test('a dual-stack network gives both addresses and is released whole', () => {
    const v6 = `fd00:${(0xa000 + box.netSlot).toString(16)}::`;
    box.ok(['network', 'create', '--ipv6', '--subnet', `${userPrefix}.0/24`, '--subnet', `${v6}/64`, '--interface-name', `tspu${box.netSlot}`, 'dual']);
    try {
      const addrs = box.ok(['run', '--rm', '--network', 'dual', IMG, 'ip', '-o', 'addr', 'show', 'eth0']);
      assert.match(addrs, new RegExp(`inet ${userPrefix.replace(/\./g, '\\.')}\\.2/24`));
      assert.match(addrs, new RegExp(`inet6 ${v6}2/64`));
    } finally {
      const removed = box.run(['network', 'rm', 'dual']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(removed.stderr, '');
    }
    assert.equal(existsSync(`/sys/class/net/tspu${box.netSlot}`), false, 'the bridge is gone');
  });
});

describe('bad input', () => {
  test('unknown networks, bad ports and addresses get one clear line and exit 125', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--network', 'nosuchnet'], /nosuchnet.*network not found/],
      [['-p', 'abc'], /abc/],
      [['-p', '99999:80'], /99999/],
      [['--ip', '192.168.250.9'], /192\.168\.250\.9.*not in any subnet/],
      [['--network', 'none', '--network', 'nosuchnet'], /cannot be combined|network not found/],
      [['--add-host', 'nocolon'], /--add-host/],
      [['--dns', 'not-an-ip'], /not an ip address/],
    ];
    for (const [flags, message] of cases) {
      const r = box.run(['run', '--rm', ...flags, IMG, 'true']);
      assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, flags.join(' '));
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('Error:')).length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(box.ok(['ps', '-aq']), '', 'nothing half-created');
  });
});

describe('concurrency and leftovers', () => {
  test('20 concurrent run -d -p get 20 distinct addresses and host ports, and rm leaves nothing behind', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => box.runAsync(['run', '-d', '--name', `par${i}`, '-p', '127.0.0.1::80', IMG, 'sleep', '1000'])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const inspected = JSON.parse(box.ok(['inspect', ...results.map((_, i) => `par${i}`)])) as Array<{
      NetworkSettings: { IPAddress: string; SandboxKey: string; Ports: Record<string, Array<{ HostPort: string }>> };
    }>;
    const ips = inspected.map((c) => c.NetworkSettings.IPAddress);
    const ports = inspected.map((c) => c.NetworkSettings.Ports['80/tcp']![0]!.HostPort);
    const netns = inspected.map((c) => c.NetworkSettings.SandboxKey);
    assert.equal(new Set(ips).size, 20, `distinct IPs: ${ips.join(' ')}`);
    assert.ok(ips.every((ip) => ip.startsWith(`${defaultPrefix}.`)));
    assert.equal(new Set(ports).size, 20, `distinct ports: ${ports.join(' ')}`);
    assert.equal(bridgePorts(box.bridge).length, 20, 'one veth per container on the bridge');
    box.ok(['rm', '-fa', '-t', '0']);
    assert.deepEqual(bridgePorts(box.bridge), [], 'no veth left on the bridge');
    for (const path of netns) assert.equal(existsSync(path), false, `${path} is gone`);
    const rules = iptablesRules();
    for (const port of ports) assert.doesNotMatch(rules, new RegExp(`dport ${port}\\b`));
    for (const ip of ips) assert.doesNotMatch(rules, new RegExp(`${ip.replace(/\./g, '\\.')}[:/ ]`), `no rule for ${ip}`);
    // The bridge and its NAT rules stay with the network (as Docker's do) until prune releases them.
    box.ok(['network', 'prune', '-f']);
    assert.doesNotMatch(iptablesRules(), new RegExp(defaultPrefix.replace(/\./g, '\\.') + '\\.'), 'no rule for the subnet after prune');
    assert.equal(existsSync(`/sys/class/net/${box.bridge}`), false, 'the bridge is gone after prune');
  });
});
