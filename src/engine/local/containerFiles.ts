import { lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ContainerConfig } from './containerRecord.js';
import type { ResolvedUser } from '../oci/spec.js';
import { VERSION } from '../../version.js';
import { TspodError } from '../../util/errors.js';
import { isRootless } from '../../util/rootless.js';
import { networkMode, type NetworkMode } from './containerNetwork.js';

/**
 * The files tspod writes for a container and bind-mounts into it (/etc/hosts,
 * /etc/hostname, /etc/resolv.conf, /run/.containerenv), and lookups inside its
 * root filesystem that must never follow a symlink out of it.
 */
export interface ContainerFiles {
  hosts?: string;
  hostname: string;
  resolvConf?: string;
  containerenv: string;
  /** --userns=keep-id: the image's passwd and group with the user added. */
  passwd?: string;
  group?: string;
}

/** What the network set-up tells the files: the container's addresses and netavark's DNS servers. */
export interface NetworkFacts {
  ips: string[];
  gateway?: string;
  /** aardvark-dns on dns-enabled networks. */
  dnsServers: string[];
  dnsSearch: string[];
}

export function writeContainerFiles(userdata: string, config: ContainerConfig, net?: NetworkFacts): ContainerFiles {
  mkdirSync(userdata, { recursive: true });
  const mode = networkMode(config.spec.network).kind;
  const files: ContainerFiles = {
    hostname: join(userdata, 'hostname'),
    containerenv: join(userdata, '.containerenv'),
  };
  writeFileSync(files.hostname, `${config.hostname}\n`);
  if (!config.spec.noHosts) {
    files.hosts = join(userdata, 'hosts');
    writeFileSync(files.hosts, hostsFile(config, mode, net));
  }
  if (mode !== 'none') {
    files.resolvConf = join(userdata, 'resolv.conf');
    writeFileSync(files.resolvConf, resolvConf(config, mode, net));
  }
  writeFileSync(
    files.containerenv,
    [
      `engine="tspod-${VERSION}"`,
      `name="${config.name}"`,
      `id="${config.id}"`,
      `image="${config.imageName}"`,
      `imageid="${config.imageId}"`,
      `rootless=${isRootless() ? 1 : 0}`,
      '',
    ].join('\n'),
  );
  return files;
}

/**
 * As Podman 4 writes it: --add-host entries, the host's /etc/hosts,
 * host.containers.internal (the gateway), then the container's own address
 * with its hostname and name.
 */
function hostsFile(config: ContainerConfig, mode: NetworkMode['kind'], net?: NetworkFacts): string {
  let base = '';
  try {
    base = readFileSync('/etc/hosts', 'utf8');
  } catch {
    base = '127.0.0.1\tlocalhost\n::1\tlocalhost\n';
  }
  const extra = (config.spec.addHosts ?? []).map((entry) => {
    const at = entry.indexOf(':');
    return `${entry.slice(at + 1)}\t${entry.slice(0, at)}`;
  });
  // Podman rewrites the host's entries as `IP<TAB>NAMES`, comments dropped.
  const hostEntries = base
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .filter((fields) => fields.length >= 2)
    .map(([ip, ...names]) => `${ip}\t${names.join(' ')}`);
  const lines = [...extra, ...hostEntries];
  if (mode === 'host') return `${lines.join('\n')}\n`;
  if (net?.gateway) lines.push(`${net.gateway}\thost.containers.internal`);
  const names = config.hostname !== config.name ? `${config.hostname} ${config.name}` : config.hostname;
  lines.push(`${net?.ips[0] ?? '127.0.0.1'}\t${names}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The host's resolv.conf without loopback name servers (they mean nothing
 * inside a network namespace), after aardvark-dns on dns-enabled networks;
 * --dns, --dns-search and --dns-option replace their parts.
 */
function resolvConf(config: ContainerConfig, mode: NetworkMode['kind'], net?: NetworkFacts): string {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    text = '';
  }
  const spec = config.spec;
  if (mode === 'host' && !spec.dns && !spec.dnsSearch && !spec.dnsOptions) return text;
  const hostServers: string[] = [];
  let hostSearch: string[] = [];
  let hostOptions: string[] = [];
  for (const line of text.split('\n')) {
    const [key, ...values] = line.trim().split(/\s+/);
    if (key === 'nameserver' && values[0] && (mode === 'host' || !/^(127\.|::1$)/.test(values[0]))) hostServers.push(values[0]);
    else if (key === 'search' || key === 'domain') hostSearch = values;
    else if (key === 'options') hostOptions = values;
  }
  const servers = spec.dns ?? [...(net?.dnsServers ?? []), ...hostServers];
  const search = spec.dnsSearch ?? [...(net?.dnsSearch ?? []), ...hostSearch];
  const options = spec.dnsOptions ?? hostOptions;
  const out: string[] = [];
  if (search.length && !(search.length === 1 && search[0] === '.')) out.push(`search ${search.join(' ')}`);
  for (const server of servers) out.push(`nameserver ${server}`);
  if (options.length) out.push(`options ${options.join(' ')}`);
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * Resolves a path inside a root filesystem the way the container will see it:
 * symlinks are followed relative to the root and can never climb out of it.
 */
export function resolveInRoot(root: string, path: string): string {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = join(root, ...resolved, part);
    let target: string | undefined;
    try {
      if (lstatSync(host).isSymbolicLink()) target = readlinkSync(host);
    } catch {
      // missing: the rest is taken literally
    }
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    if (++hops > 40) throw new TspodError(`too many symlinks resolving ${path} in the container`);
    if (target.startsWith('/')) resolved.length = 0;
    parts.unshift(...target.split('/').filter(Boolean));
  }
  return join(root, ...resolved);
}

function readInRoot(root: string, path: string): string {
  try {
    return readFileSync(resolveInRoot(root, path), 'utf8');
  } catch {
    return '';
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwdEntries(root: string): PasswdEntry[] {
  return readInRoot(root, '/etc/passwd')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }));
}

function groupEntries(root: string): Array<{ name: string; gid: number; members: string[] }> {
  return readInRoot(root, '/etc/group')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const NUMERIC = /^\d+$/;

/**
 * --userns=keep-id: the user gets entries in the container's /etc/passwd and
 * /etc/group (copies of the image's with a line added, bind-mounted over
 * them) when the image has none for its ids, as Podman adds them.
 */
export function keepIdFiles(
  userdata: string,
  root: string,
  user: { uid: number; gid: number; name: string; home: string },
): { passwd?: string; group?: string; home: string } {
  const out: { passwd?: string; group?: string; home: string } = { home: user.home };
  const existing = passwdEntries(root).find((u) => u.uid === user.uid);
  if (existing) out.home = existing.home;
  else {
    out.passwd = join(userdata, 'passwd');
    writeFileSync(out.passwd, withLine(readInRoot(root, '/etc/passwd'), `${user.name}:*:${user.uid}:${user.gid}:${user.name}:${user.home}:/bin/sh`));
  }
  if (!groupEntries(root).some((g) => g.gid === user.gid)) {
    out.group = join(userdata, 'group');
    writeFileSync(out.group, withLine(readInRoot(root, '/etc/group'), `${user.name}:x:${user.gid}:`));
  }
  return out;
}

function withLine(text: string, line: string): string {
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
}

/** Resolves `user[:group]` against the image's /etc/passwd and /etc/group, as podman does. */
export function resolveUser(root: string, spec: string, groupAdd: string[] = []): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = passwdEntries(root);
  let uid: number;
  let gid = 0;
  let home = '/';
  let userName: string | undefined;
  if (userPart === '') {
    uid = 0;
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    const entry = users.find((u) => u.uid === uid);
    if (entry) {
      gid = entry.gid;
      home = entry.home;
      userName = entry.name;
    }
  } else {
    const entry = users.find((u) => u.name === userPart);
    if (!entry) {
      throw new TspodError(`unable to find user ${userPart}: no matching entries in passwd file`, { exitCode: 126 });
    }
    uid = entry.uid;
    gid = entry.gid;
    home = entry.home;
    userName = entry.name;
  }
  if (uid === 0 && userName === undefined) {
    const root0 = users.find((u) => u.uid === 0);
    home = root0?.home ?? '/root';
    userName = root0?.name;
  }
  const groups = groupEntries(root);
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new TspodError(`unable to find group ${groupPart}: no matching entries in group file`, { exitCode: 126 });
      gid = g.gid;
    }
  }
  const additional = new Set<number>();
  if (userName !== undefined && groupPart === undefined) {
    for (const g of groups) if (g.members.includes(userName) && g.gid !== gid) additional.add(g.gid);
  }
  for (const g of groupAdd) {
    if (g === 'keep-groups') continue;
    if (NUMERIC.test(g)) additional.add(Number(g));
    else {
      const entry = groups.find((x) => x.name === g);
      if (!entry) throw new TspodError(`unable to find group ${g}: no matching entries in group file`, { exitCode: 126 });
      additional.add(entry.gid);
    }
  }
  return { uid, gid, additionalGids: [...additional], home };
}
