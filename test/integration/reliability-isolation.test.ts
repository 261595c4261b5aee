/**
 * Container isolation, checked from inside real containers: Podman's default
 * capability set, seccomp, masked and read-only /proc and /sys paths,
 * no-new-privileges, --read-only, a private PID namespace, the host's /root
 * out of sight, device access limited, and no descriptor of tspod's reaching
 * the container (CVE-2024-21626 class).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';
import { reportFigures } from './reliability.js';

const IMG = 'localhost/tspod-test/busybox:latest';
const box = new Sandbox('isolation');
let checks = 0;
let failed = 0;

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', join(fixturesDir(), 'busybox', 'oci-archive.tar')]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
  reportFigures('isolation', { checks, failed });
});

/** One isolation property: counted in the figures whether it holds or not. */
function check(name: string, fn: () => void | Promise<void>): void {
  test(name, { timeout: 120_000 }, async () => {
    checks++;
    try {
      await fn();
    } catch (e) {
      failed++;
      throw e;
    }
  });
}

/** Runs a shell script in a fresh container and returns its output. */
function inContainer(script: string, flags: string[] = []): string {
  return box.ok(['run', '--rm', ...flags, IMG, 'sh', '-c', script]);
}

function statusField(status: string, field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '';
}

// Podman's default set (containers.conf default_capabilities).
const CAP_BITS: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8, NET_BIND_SERVICE: 10, NET_ADMIN: 12, SYS_CHROOT: 18, SETFCAP: 31,
};
const capMask = (names: string[]) => names.reduce((m, n) => m | (1n << BigInt(CAP_BITS[n]!)), 0n).toString(16).padStart(16, '0');
const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];

check('default capabilities are Podman\'s eleven; --cap-drop all and --cap-add change them', () => {
  const status = inContainer('cat /proc/self/status');
  assert.equal(statusField(status, 'CapEff'), capMask(DEFAULT_CAPS));
  assert.equal(statusField(status, 'CapBnd'), capMask(DEFAULT_CAPS));
  assert.equal(statusField(inContainer('cat /proc/self/status', ['--cap-drop', 'all']), 'CapEff'), '0000000000000000');
  assert.equal(statusField(inContainer('cat /proc/self/status', ['--cap-add', 'net_admin']), 'CapEff'), capMask([...DEFAULT_CAPS, 'NET_ADMIN']));
  // A user other than root gets no effective capabilities.
  assert.equal(statusField(inContainer('cat /proc/self/status', ['--user', '1000']), 'CapEff'), '0000000000000000');
});

check('seccomp filters every container unless unconfined', () => {
  assert.equal(statusField(inContainer('cat /proc/self/status'), 'Seccomp'), '2');
  assert.equal(statusField(inContainer('cat /proc/self/status', ['--security-opt', 'seccomp=unconfined']), 'Seccomp'), '0');
  // The profile runc loaded: deny by default, allow a list.
  const id = box.ok(['create', IMG, 'true']).trim();
  box.ok(['init', id]);
  const bundle = JSON.parse(readFileSync(box.path('run', 'tspod', 'containers', id, 'config.json'), 'utf8')) as { linux: { seccomp?: { defaultAction: string; syscalls: unknown[] } } };
  box.ok(['rm', '-f', '-t', '0', id]);
  assert.match(bundle.linux.seccomp?.defaultAction ?? '', /^SCMP_ACT_ERRNO$/);
  assert.ok((bundle.linux.seccomp?.syscalls.length ?? 0) > 10);
});

check('masked and read-only kernel paths', () => {
  const out = inContainer(
    'cat /proc/timer_list 2>/dev/null | wc -c; ls /sys/firmware | wc -l; cat /proc/keys 2>/dev/null | wc -c; echo 1 > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable || echo sysrq-refused; touch /proc/sys/kernel/x 2>/dev/null && echo procsys-writable || echo procsys-refused; echo 1 > /sys/kernel/profiling 2>/dev/null && echo sys-writable || echo sys-refused',
  );
  assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), ['0', '0', '0', 'sysrq-refused', 'procsys-refused', 'sys-refused']);
});

check('no-new-privileges is off by default and on when asked', () => {
  assert.equal(statusField(inContainer('cat /proc/self/status'), 'NoNewPrivs'), '0');
  assert.equal(statusField(inContainer('cat /proc/self/status', ['--security-opt', 'no-new-privileges']), 'NoNewPrivs'), '1');
});

check('--read-only: the root filesystem refuses writes, /tmp /run /var/tmp stay writable', () => {
  const out = inContainer('touch /x 2>/dev/null && echo root-writable || echo root-refused; for d in /tmp /run /var/tmp; do touch $d/ok && echo $d-ok; done', ['--read-only']);
  assert.equal(out, 'root-refused\n/tmp-ok\n/run-ok\n/var/tmp-ok\n');
  const strict = inContainer('touch /tmp/x 2>/dev/null && echo tmp-writable || echo tmp-refused', ['--read-only', '--read-only-tmpfs=false']);
  assert.equal(strict, 'tmp-refused\n');
});

check('the container sees only its own processes', () => {
  const out = inContainer('echo pid1=$(cat /proc/1/cmdline | tr "\\0" " "); ls /proc | grep -c "^[0-9]"');
  const [first = '', count = ''] = out.trim().split('\n');
  assert.match(first, /^pid1=sh -c /);
  assert.ok(Number(count) <= 4, `few processes visible: ${count}`);
  const hostPids = readFileSync('/proc/loadavg', 'utf8').split(' ')[3];
  assert.ok(hostPids, 'the host runs processes the container does not see');
});

check("the host's /root is out of sight", () => {
  const marker = `tspod-isolation-${randomBytes(4).toString('hex')}`;
  writeFileSync(join('/root', marker), 'host secret');
  try {
    const out = inContainer(`test -e /root/${marker} && echo visible || echo hidden; find / -xdev -name ${marker} 2>/dev/null | wc -l`);
    assert.equal(out, 'hidden\n0\n');
  } finally {
    rmSync(join('/root', marker), { force: true });
  }
});

check('devices: only the standard set, and a host disk made with mknod cannot be opened', () => {
  const devs = inContainer('ls /dev').trim().split(/\s+/).sort();
  for (const d of devs) assert.ok(['console', 'core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'].includes(d), `unexpected /dev/${d}`);
  const disk = /^\s*(\d+)\s+(\d+)\s+\d+\s+(\S+)$/m.exec(readFileSync('/proc/partitions', 'utf8'));
  assert.ok(disk, 'a host block device');
  const out = inContainer(`busybox mknod /tmp/disk b ${disk[1]} ${disk[2]} && (head -c 1 /tmp/disk > /dev/null 2>&1 && echo read || echo refused)`, ['--cap-add', 'mknod']);
  assert.equal(out, 'refused\n');
});

check("tspod's inherited descriptors reach neither run nor exec (CVE-2024-21626 class)", async () => {
  const fdsIn = async (args: string[]) => {
    const child = spawn(TSPOD, [...box.globalArgs, ...args], { env: box.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, err);
    return out.trim().split(/\s+/).sort();
  };
  assert.deepEqual(await fdsIn(['run', '--rm', IMG, 'ls', '/proc/self/fd']), ['0', '1', '2', '3']);
  box.ok(['run', '-d', '--name', 'fdtarget', IMG, 'sleep', '1000']);
  assert.deepEqual(await fdsIn(['exec', 'fdtarget', 'ls', '/proc/self/fd']), ['0', '1', '2', '3']);
  box.ok(['rm', '-f', '-t', '0', 'fdtarget']);
  // The leaked-cwd attack itself: a working directory through a descriptor must not reach the host.
  const r = box.run(['run', '--rm', '-w', '/proc/self/fd/7', IMG, 'sh', '-c', 'ls ../../../../ 2>/dev/null']);
  if (r.code === 0) assert.doesNotMatch(r.stdout, /\bwt-rel\b|\bwork\b|\.mirror/, 'the host filesystem through a leaked fd');
});
