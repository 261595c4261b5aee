/**
 * Rootless networking: a user cannot make veth pairs or bridges on the host,
 * so a user-mode network program (pasta or slirp4netns) gives the container's
 * namespace a tap interface and carries its traffic through ordinary sockets
 * on the host, forwarding the published ports itself. Both run inside the
 * rootless user namespace (which owns the container's network namespace) and
 * outlive tspod; their pid sits beside the namespace file as NETNS.pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { PortMapping } from './types.js';
import { InvalidArgumentError, MissingProgramError, TspodError } from '../../util/errors.js';

export type UserModeKind = 'pasta' | 'slirp4netns';

/** What /etc/hosts and resolv.conf learn from the set-up. */
export interface UserModeFacts {
  ips: string[];
  gateway?: string;
  dnsServers: string[];
}

const TUN = '/dev/net/tun';

export function findUserModeProgram(kind: UserModeKind, helperDirs: string[]): string | undefined {
  return [...helperDirs, '/usr/bin', '/usr/sbin', '/usr/local/bin', '/bin'].map((d) => join(d, kind)).find((p) => existsSync(p));
}

/** Both programs need a tap device: a /dev/net/tun the user cannot open (no udev to make it 0666) rules them out. */
export function tunUsable(): boolean {
  try {
    closeSync(openSync(TUN, 'r+'));
    return true;
  } catch {
    return false;
  }
}

/**
 * The default rootless network: `default_rootless_network_cmd` from
 * containers.conf, else pasta where it is installed (as Podman 5 prefers),
 * else slirp4netns.
 */
export function defaultUserModeKind(configured: string | undefined, helperDirs: string[]): UserModeKind {
  if (configured === 'pasta' || configured === 'slirp4netns') return configured;
  return findUserModeProgram('pasta', helperDirs) || !findUserModeProgram('slirp4netns', helperDirs) ? 'pasta' : 'slirp4netns';
}

/** Host ports below net.ipv4.ip_unprivileged_port_start cannot be bound by an ordinary user. */
export function checkUnprivilegedPorts(ports: PortMapping[]): void {
  let start = 1024;
  try {
    start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    // no sysctl: the kernel's historic 1024
  }
  const low = ports.find((p) => p.host_port < start);
  if (low) {
    throw new InvalidArgumentError(
      `rootless port forwarding cannot expose privileged port ${low.host_port}: add 'net.ipv4.ip_unprivileged_port_start=${low.host_port}' to /etc/sysctl.conf (currently ${start}), or choose a host port >= ${start}`,
    );
  }
}

export interface UserModeStart {
  kind: UserModeKind;
  program: string;
  netns: string;
  ports: PortMapping[];
  /** --network pasta:OPTS (extra pasta arguments) or slirp4netns:KEY=VALUE,... */
  options: string[];
}

/** Starts the program on a fresh namespace and resolves once the interface is up and the ports forwarded. */
export async function startUserModeNetwork(s: UserModeStart): Promise<UserModeFacts> {
  if (!tunUsable()) {
    throw new TspodError(
      `rootless networking with ${s.kind} needs ${TUN}, which this user cannot open: ask the administrator to make it mode 0666 (as udev does), or use --network none or --network host`,
    );
  }
  checkUnprivilegedPorts(s.ports);
  return s.kind === 'pasta' ? startPasta(s) : startSlirp(s);
}

/** Ends the program serving a namespace (from its NETNS.pid), if it still runs. */
export function stopUserModeNetwork(netns: string): void {
  const pidFile = `${netns}.pid`;
  let pid = 0;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    // never started, or stopped already
  }
  // Only ever the program serving this namespace (its command line names it): a reused pid is someone else's.
  let cmdline = '';
  try {
    if (pid > 0) cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // gone already
  }
  if (cmdline.split('\0').includes(netns)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  rmSync(`${netns}.slirp.sock`, { force: true });
  rmSync(pidFile, { force: true });
}

// ---------------------------------------------------------------- pasta

function pastaPortSpecs(ports: PortMapping[], protocol: string): string[] {
  return ports
    .filter((p) => p.protocol === protocol)
    .map((p) => {
      const range = (start: number) => (p.range > 1 ? `${start}-${start + p.range - 1}` : String(start));
      return `${p.host_ip ? `${p.host_ip}/` : ''}${range(p.host_port)}:${range(p.container_port)}`;
    });
}

function startPasta(s: UserModeStart): UserModeFacts {
  const forward = (flag: string, protocol: string) => {
    const specs = pastaPortSpecs(s.ports, protocol);
    return specs.length ? specs.flatMap((spec) => [flag, spec]) : [flag, 'none'];
  };
  const args = [
    '--config-net',
    ...forward('-t', 'tcp'),
    ...forward('-u', 'udp'),
    '-T', 'none',
    '-U', 'none',
    '--no-map-gw',
    '--quiet',
    ...s.options,
    '--netns', s.netns,
    '--pid', `${s.netns}.pid`,
  ];
  // pasta goes to the background once the namespace is configured and its ports are bound.
  const r = spawnSync(s.program, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    const detail = (r.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('Failed to send')).join(': ') || r.error?.message || `exit ${r.status}`;
    throw new TspodError(`pasta failed: ${detail}`);
  }
  return hostFacts();
}

/** pasta copies the host's address and gateway into the namespace. */
function hostFacts(): UserModeFacts {
  let iface: string | undefined;
  let gateway: string | undefined;
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [name, dest, gw] = line.trim().split(/\s+/);
      if (dest === '00000000' && name && gw) {
        iface = name;
        const n = parseInt(gw, 16);
        gateway = [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.');
        break;
      }
    }
  } catch {
    // no IPv4 routes
  }
  const ips = (iface ? (networkInterfaces()[iface] ?? []) : []).filter((a) => a.family === 'IPv4').map((a) => a.address);
  return { ips, gateway, dnsServers: [] };
}

// ---------------------------------------------------------------- slirp4netns

interface SlirpOptions {
  allowHostLoopback: boolean;
  cidr: string;
  enableIpv6: boolean;
  mtu: number;
  outboundAddr?: string;
  outboundAddr6?: string;
}

function slirpOptions(options: string[]): SlirpOptions {
  const o: SlirpOptions = { allowHostLoopback: false, cidr: '10.0.2.0/24', enableIpv6: false, mtu: 65520 };
  const bool = (key: string, v: string) => {
    if (v !== 'true' && v !== 'false') throw new InvalidArgumentError(`slirp4netns option ${key}=${v}: use true or false`);
    return v === 'true';
  };
  for (const opt of options) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    if (key === 'allow_host_loopback') o.allowHostLoopback = bool(key, value);
    else if (key === 'enable_ipv6') o.enableIpv6 = bool(key, value);
    else if (key === 'cidr') {
      if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(value)) throw new InvalidArgumentError(`slirp4netns option cidr=${value}: give an IPv4 network such as 10.0.2.0/24`);
      o.cidr = value;
    } else if (key === 'mtu') {
      o.mtu = Number(value);
      if (!Number.isInteger(o.mtu) || o.mtu < 68) throw new InvalidArgumentError(`slirp4netns option mtu=${value}: give a number of bytes, at least 68`);
    } else if (key === 'outbound_addr') o.outboundAddr = value;
    else if (key === 'outbound_addr6') o.outboundAddr6 = value;
    else if (key === 'port_handler') {
      if (value !== 'slirp4netns' && value !== 'rootlesskit') throw new InvalidArgumentError(`slirp4netns option port_handler=${value}: use slirp4netns or rootlesskit`);
    } else throw new InvalidArgumentError(`unknown slirp4netns option "${key}": use allow_host_loopback, cidr, enable_ipv6, mtu, outbound_addr, outbound_addr6 or port_handler`);
  }
  return o;
}

/** The n-th address of an IPv4 network: slirp's gateway is .2, its DNS .3, the guest .100. */
function nthAddress(cidr: string, n: number): string {
  const [base] = cidr.split('/');
  const v = base!.split('.').reduce((acc, x) => acc * 256 + Number(x), 0) + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

async function startSlirp(s: UserModeStart): Promise<UserModeFacts> {
  const o = slirpOptions(s.options);
  const apiSocket = `${s.netns}.slirp.sock`;
  rmSync(apiSocket, { force: true });
  const args = [
    '--configure',
    `--mtu=${o.mtu}`,
    `--cidr=${o.cidr}`,
    ...(o.allowHostLoopback ? [] : ['--disable-host-loopback']),
    ...(o.enableIpv6 ? ['--enable-ipv6'] : []),
    ...(o.outboundAddr ? [`--outbound-addr=${o.outboundAddr}`] : []),
    ...(o.outboundAddr6 ? [`--outbound-addr6=${o.outboundAddr6}`] : []),
    '--enable-sandbox',
    '--enable-seccomp',
    '--ready-fd=3',
    '--api-socket', apiSocket,
    '--netns-type=path',
    s.netns,
    'tap0',
  ];
  const child = spawn(s.program, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const ready = new Promise<boolean>((resolve) => {
    (child.stdio[3] as NodeJS.ReadableStream).once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  try {
    if (!(await ready)) {
      const detail = Buffer.concat(stderr).toString().split('\n').filter((l) => l && !l.startsWith('WARNING')).join(': ');
      throw new TspodError(`slirp4netns failed: ${detail || 'it exited before configuring the namespace'}`);
    }
    writeFileSync(`${s.netns}.pid`, String(child.pid));
    for (const p of s.ports) {
      for (let i = 0; i < p.range; i++) {
        await slirpApi(apiSocket, {
          execute: 'add_hostfwd',
          arguments: { proto: p.protocol, host_addr: p.host_ip || '0.0.0.0', host_port: p.host_port + i, guest_port: p.container_port + i },
        });
      }
    }
  } catch (e) {
    child.kill('SIGTERM');
    rmSync(`${s.netns}.pid`, { force: true });
    throw e;
  } finally {
    child.stderr!.destroy();
    (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
    child.unref();
  }
  return { ips: [nthAddress(o.cidr, 100)], gateway: nthAddress(o.cidr, 2), dnsServers: [nthAddress(o.cidr, 3)] };
}

/** One request on slirp4netns's API socket; rejects with its error. */
function slirpApi(socket: string, request: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let reply = '';
    conn.on('connect', () => conn.end(JSON.stringify(request)));
    conn.on('data', (d) => (reply += d.toString()));
    conn.on('error', (e) => reject(new TspodError(`slirp4netns API: ${e.message}`)));
    conn.on('close', () => {
      try {
        const parsed = JSON.parse(reply) as { error?: { desc?: string } };
        if (parsed.error) reject(new TspodError(`slirp4netns could not forward a port: ${parsed.error.desc ?? reply}`));
        else resolve();
      } catch {
        reject(new TspodError(`slirp4netns API gave an unreadable answer: ${reply.slice(0, 200)}`));
      }
    });
  });
}

export function missingUserModeProgram(kind: UserModeKind): MissingProgramError {
  return new MissingProgramError(kind, kind === 'pasta' ? 'passt' : 'slirp4netns');
}
