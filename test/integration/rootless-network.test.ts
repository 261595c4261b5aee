/**
 * Rootless networking: pasta and slirp4netns give an ordinary user's
 * containers a network and forward published ports from the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fixturesDir, freePort, httpGet } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';
import { AsUser, ensureUser, freshUser, rootlessUnavailable, userCanOpen, type RootlessUser } from './rootlessUser.js';

const IMG = 'localhost/tspod-test/busybox:latest';
/** A web server answering with its argument, and a wait (inside the container) until it answers. */
const WEB = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
const FETCH_LOCAL = 'for i in $(seq 1 100); do wget -qO- http://127.0.0.1:80/ 2>/dev/null && exit 0; usleep 50000; done; exit 1';
const AWAIT_WEB = ['sh', '-c', FETCH_LOCAL];

let user: RootlessUser;
let me: AsUser;

function skipReason(): string | undefined {
  const general = rootlessUnavailable();
  if (general) return general;
  const probe = ensureUser('tspodrl2');
  // Without udev, /dev/net/tun keeps the kernel's 0600 and no ordinary user can make a tap device:
  // pasta and slirp4netns (and Podman) cannot work at all then.
  if (!userCanOpen(probe, '/dev/net/tun')) return '/dev/net/tun cannot be opened by ordinary users here (mode 0600, no udev): pasta and slirp4netns need it; make it 0666 as udev does to run these tests';
  return undefined;
}

/** pasta/slirp4netns processes of the user serving `netns`, from /proc. */
function helpersFor(uid: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status) || /^State:\s+Z/m.test(status)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (/(pasta|slirp4netns)$/.test(cmd[0] ?? '')) found.push(cmd.join(' '));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('rootless networking', { skip: skipReason() }, () => {
  before(async () => {
    await buildFixtures(fixturesDir());
    me = freshUser('tspodrl2', ['busybox'], fixturesDir());
    user = me.user;
  });

  after(() => {
    me.reset();
  });

  test('a container gets a network by default, with a route out', () => {
    const out = me.ok(['run', '--rm', IMG, 'ip', 'route']);
    assert.match(out, /^default via /m);
  });

  for (const network of ['pasta', 'slirp4netns']) {
    test(`-p 127.0.0.1:PORT:80 with ${network}: the host reaches the web server; rm stops ${network}`, async () => {
      const port = await freePort();
      const id = me.ok(['run', '-d', '--network', network, '-p', `127.0.0.1:${port}:80`, IMG, ...WEB(`hello-${network}`)]).trim();
      try {
        me.ok(['exec', id, ...AWAIT_WEB]);
        const res = await httpGet(port);
        assert.equal(res.status, 200);
        assert.equal(res.body, `hello-${network}\n`);
        assert.equal(me.ok(['port', id]).trim(), `80/tcp -> 127.0.0.1:${port}`);
        assert.equal(helpersFor(user.uid).filter((c) => c.includes(network)).length, 1);
      } finally {
        me.ok(['rm', '-f', '-t', '0', id]);
      }
      assert.deepEqual(helpersFor(user.uid), [], `no ${network} outlives its container`);
    });
  }

  test('--network slirp4netns:OPTIONS and pasta:ARGS reach the programs', () => {
    const slirp = me.ok(['run', '--rm', '--network', 'slirp4netns:cidr=10.41.0.0/24,mtu=1500', IMG, 'sh', '-c', 'ip addr show tap0; cat /etc/resolv.conf']);
    assert.match(slirp, /mtu 1500/);
    assert.match(slirp, /inet 10\.41\.0\.100\/24/);
    assert.match(slirp, /^nameserver 10\.41\.0\.3$/m);
    const pasta = me.ok(['run', '--rm', '--network', 'pasta:-a,10.77.0.2,-n,24,-g,10.77.0.1', IMG, 'sh', '-c', 'ip addr show eth0; ip route']);
    assert.match(pasta, /inet 10\.77\.0\.2\/24/);
    assert.match(pasta, /^default via 10\.77\.0\.1 /m);
    const bad = me.run(['run', '--rm', '--network', 'slirp4netns:bogus=1', IMG, 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /^Error: unknown slirp4netns option "bogus"/m);
  });

  test('ports below net.ipv4.ip_unprivileged_port_start are refused, naming the sysctl', () => {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    assert.ok(start > 80, 'this test needs the default unprivileged port start');
    const r = me.run(['run', '--rm', '-p', '80:80', IMG, 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`^Error: rootless port forwarding cannot expose privileged port 80: add 'net\\.ipv4\\.ip_unprivileged_port_start=80' to /etc/sysctl\\.conf \\(currently ${start}\\)`, 'm'));
  });

  test('a pod of two containers: they share localhost, and the host reaches the pod\'s port', async () => {
    const port = await freePort();
    me.ok(['pod', 'create', '--name', 'web-pod', '-p', `127.0.0.1:${port}:80`]);
    try {
      me.ok(['run', '-d', '--pod', 'web-pod', '--name', 'web', IMG, ...WEB('from-the-pod')]);
      const neighbour = me.ok(['run', '--rm', '--pod', 'web-pod', IMG, 'sh', '-c', FETCH_LOCAL]);
      assert.equal(neighbour, 'from-the-pod\n');
      const res = await httpGet(port);
      assert.equal(res.body, 'from-the-pod\n');
    } finally {
      me.ok(['pod', 'rm', '-f', '-t', '0', 'web-pod']);
    }
    assert.deepEqual(helpersFor(user.uid), []);
  });

  test('bridge networks need root: a clear error', () => {
    me.ok(['network', 'create', 'rl-net']);
    try {
      const r = me.run(['run', '--rm', '--network', 'rl-net', IMG, 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^Error: network rl-net: bridge networks need root .*use --network pasta or --network slirp4netns$/m);
    } finally {
      me.ok(['network', 'rm', 'rl-net']);
    }
  });

  test('the network namespaces live in the user\'s runtime dir and go with their containers', () => {
    const dir = `/run/user/${user.uid}/netns`;
    const id = me.ok(['run', '-d', IMG, 'sleep', '300']).trim();
    try {
      const netns = readdirSync(dir).filter((f) => /^tspod-[0-9a-f]+$/.test(f));
      assert.equal(netns.length, 1);
    } finally {
      me.ok(['rm', '-f', '-t', '0', id]);
    }
    assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
  });
});
