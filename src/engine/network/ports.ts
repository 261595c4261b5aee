/**
 * Published and exposed ports, with Podman 4.3's syntax, validation and
 * storage shape. A container's mappings are built in this order:
 *
 *   mergeAndValidate(publish.flatMap(parsePublish))   -p, grouped into ranges
 *   publishAll(exposed, merged)                       -P (exposed: parseExpose + exposedFromImage)
 *   assignRandomHostPorts(all, taken)                 host port 0 -> a free port
 *
 * `-P` ports stay one mapping per port, as Podman stores them.
 */
import { createServer, isIP } from 'node:net';
import { createSocket } from 'node:dgram';
import type { PortMapping } from './types.js';
import { InvalidArgumentError, TspodError } from '../../util/errors.js';

/** An exposed port or range (`EXPOSE 80`, `--expose 8000-8010/udp`), one protocol each. */
export interface ExposedPort {
  port: number;
  protocol: string;
  /** How many consecutive ports from `port` on. */
  range: number;
}

/** `NetworkSettings.Ports` of an inspect report: `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`, null for exposed only. */
export type InspectPorts = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

const PROTOCOLS = ['tcp', 'udp', 'sctp'];
const PUBLISH_SYNTAX = 'use [[ip:][hostPort]:]containerPort[/protocol]';
const RANDOM_PORT_ATTEMPTS = 20;

/** What is wrong with a value; the public functions prefix it with the value itself. */
class PortSyntaxError extends Error {}

function fail(detail: string): never {
  throw new PortSyntaxError(detail);
}

function withValue<T>(prefix: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof PortSyntaxError) throw new InvalidArgumentError(`${prefix}: ${e.message}`);
    throw e;
  }
}

// ------------------------------------------------------------------ parsing

/** One port number, read as Go's strconv.Atoi would (a sign is allowed). */
function parsePort(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) fail(`invalid port number "${text}": not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) fail(`port numbers must be between 1 and 65535 (inclusive), got ${port}`);
  return port;
}

/** `80` or `8000-8010`. */
function parseRange(text: string): { start: number; range: number } {
  const parts = text.split('-');
  if (parts.length > 2) fail(`"${text}" is not a port or range: port ranges are formatted as startPort-stopPort`);
  if (parts[0] === '') fail('port numbers cannot be negative');
  const start = parsePort(parts[0]!);
  if (parts.length === 1) return { start, range: 1 };
  if (parts[1] === '') fail(`must provide ending number for port range "${text}"`);
  const end = parsePort(parts[1]!);
  if (end <= start) fail(`the end port of a range must be higher than the start port - ${end} is not higher than ${start}`);
  return { start, range: end - start + 1 };
}

/** A comma list of protocols, lowercased and without repeats; empty means tcp. */
function parseProtocols(text: string, allowSctp: boolean): string[] {
  const found: string[] = [];
  for (const item of text.split(',')) {
    const protocol = item.toLowerCase() || 'tcp';
    if (!PROTOCOLS.includes(protocol)) fail(`unrecognized protocol "${protocol}" in port mapping: use tcp, udp or sctp`);
    if (protocol === 'sctp' && !allowSctp) fail('protocol SCTP is not allowed for exposed ports');
    if (!found.includes(protocol)) found.push(protocol);
  }
  return found;
}

/** A mapping's protocols as stored: one, or a comma list from older records. */
function protocolsOf(mapping: PortMapping): string[] {
  return [...new Set(mapping.protocol.split(',').map((p) => p.toLowerCase() || 'tcp'))];
}

/** An IP as Go's net.IP prints it (compressed IPv6, IPv4-mapped addresses as IPv4); undefined when not an IP. */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return undefined;
  const compressed = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * One `-p/--publish` value: `[[ip:][hostPort]:]containerPort[/protocol]`, ranges
 * allowed on both sides, `[ipv6]:hostPort:containerPort`, an empty host port for
 * a random one (host_port 0), `tcp,udp` for one mapping per protocol.
 */
export function parsePublish(value: string): PortMapping[] {
  return withValue(`invalid --publish "${value}"`, () => {
    const byProtocol = value.split('/');
    if (byProtocol.length > 2) fail(`protocol can only be specified once: ${PUBLISH_SYNTAX}`);
    const protocolText = byProtocol[1];
    if (protocolText === '') fail('must provide a non-empty protocol to publish: use tcp, udp or sctp');
    let rest = byProtocol[0]!;

    let hostIp: string | undefined;
    let bracketed = false;
    const byBracket = rest.split(']');
    if (byBracket.length > 2) fail('at most one IPv6 address can be specified in a --publish');
    if (byBracket.length === 2) {
      bracketed = true;
      if (!byBracket[0]!.startsWith('[')) fail('IPv6 addresses must be enclosed by []');
      if (!byBracket[1]!.startsWith(':')) fail(`IPv6 address must be followed by a colon (':'): use [ipv6]:hostPort:containerPort`);
      hostIp = byBracket[0]!.slice(1);
      rest = byBracket[1]!.slice(1);
    }

    let hostPortText: string | undefined;
    let containerText: string;
    const parts = rest.split(':');
    if (parts.length === 1) {
      if (bracketed) fail('must provide host and destination port if specifying an IP: use [ipv6]:hostPort:containerPort');
      containerText = parts[0]!;
    } else if (parts.length === 2) {
      [hostPortText, containerText] = parts as [string, string];
    } else if (parts.length === 3) {
      if (bracketed) fail('when v6 address specified, must be [ipv6]:hostPort:ctrPort');
      [hostIp, hostPortText, containerText] = parts as [string, string, string];
    } else {
      fail(`format is [[hostIP:]hostPort:]containerPort (IPv6 addresses go in brackets: [::1]:8080:80)`);
    }

    if (containerText === '') fail('must provide a non-empty container port to publish');
    const container = withDetail('parsing container port', () => parseRange(containerText));
    const protocols = parseProtocols(protocolText ?? 'tcp', true);

    let ip = '';
    if (hostIp !== undefined) {
      if (hostIp === '') fail('must provide a non-empty container host IP to publish');
      // Podman leaves 0.0.0.0 unset: it means every address, like no IP at all.
      if (hostIp !== '0.0.0.0') ip = canonicalIp(hostIp) ?? fail(`cannot parse "${hostIp}" as an IP address`);
    }

    let hostPort = 0;
    if (hostPortText !== undefined && hostPortText !== '') {
      const host = withDetail('parsing host port', () => parseRange(hostPortText));
      if (host.range !== container.range) {
        fail(`host and container port ranges have different lengths: ${host.range} vs ${container.range}: give ranges of the same length, or leave the host port empty for random ones`);
      }
      hostPort = host.start;
    }
    return protocols.map((protocol) => ({ host_ip: ip, container_port: container.start, host_port: hostPort, range: container.range, protocol }));
  });
}

function withDetail<T>(context: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof PortSyntaxError) fail(`${context}: ${e.message}`);
    throw e;
  }
}

/** `80`, `8000-8010/udp`, `53/tcp,udp`: what EXPOSE and --expose take. */
function parseExposed(value: string): ExposedPort[] {
  const parts = value.split('/');
  if (parts.length > 2) fail('protocol can only be specified once: use PORT[-END][/PROTOCOL]');
  const { start, range } = parseRange(parts[0]!);
  const protocols = withDetail(`validating protocols for exposed port ${start}`, () => parseProtocols(parts[1] ?? 'tcp', false));
  return protocols.map((protocol) => ({ port: start, protocol, range }));
}

/** One `--expose` value. */
export function parseExpose(value: string): ExposedPort[] {
  return withValue(`invalid --expose "${value}"`, () => parseExposed(value));
}

/** An image config's ExposedPorts (`{"80/tcp": {}}`), ordered by port then protocol. */
export function exposedFromImage(exposedPorts: Record<string, unknown> | undefined): ExposedPort[] {
  const all = Object.keys(exposedPorts ?? {}).flatMap((key) => withValue(`unable to convert image EXPOSE "${key}"`, () => parseExposed(key)));
  return all.sort((a, b) => a.port - b.port || PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol));
}

// ------------------------------------------------------------------ publishing

/**
 * `-P`: the existing mappings, then one random-host-port mapping (host_port 0,
 * on every address) for each exposed port and protocol none of them publishes.
 */
export function publishAll(exposed: ExposedPort[], existing: PortMapping[]): PortMapping[] {
  const published = (port: number, protocol: string): boolean =>
    existing.some((m) => m.container_port <= port && port < m.container_port + (m.range || 1) && protocolsOf(m).includes(protocol));
  const wanted = new Map<string, { port: number; protocol: string }>();
  for (const e of exposed) {
    for (let port = e.port; port < e.port + e.range; port++) {
      if (!published(port, e.protocol)) wanted.set(`${port}/${e.protocol}`, { port, protocol: e.protocol });
    }
  }
  const added = [...wanted.values()]
    .sort((a, b) => a.port - b.port || PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol))
    .map(({ port, protocol }) => ({ host_ip: '', container_port: port, host_port: 0, range: 1, protocol }));
  return [...existing, ...added];
}

interface Span {
  host: number;
  container: number;
  range: number;
}

/**
 * Checks mappings as Podman does before storing them, and stores them its way:
 * one protocol per mapping; per host IP and protocol, fixed host ports sorted
 * and joined into ranges where host and container ports run in step, then
 * random ones (host_port 0) sorted by container port, overlapping ones joined.
 * Host IPs keep their first-seen order, protocols go tcp, udp, sctp.
 * A host port given twice on one IP and protocol for different container ports
 * is an error; the very same mapping twice is kept once.
 */
export function mergeAndValidate(mappings: PortMapping[]): PortMapping[] {
  const groups = new Map<string, Map<string, Span[]>>();
  for (const m of mappings) {
    const protocols = withValue(`invalid port mapping ${describe(m)}`, () => parseProtocols(m.protocol, true));
    if (m.host_ip !== '' && canonicalIp(m.host_ip) === undefined) throw new InvalidArgumentError(`invalid IP address "${m.host_ip}" in port mapping`);
    const range = m.range || 1;
    if (!Number.isInteger(m.container_port) || m.container_port < 1 || m.container_port > 65535) {
      throw new InvalidArgumentError(`container port number must be between 1 and 65535, got ${m.container_port}`);
    }
    if (!Number.isInteger(m.host_port) || m.host_port < 0 || m.host_port > 65535) {
      throw new InvalidArgumentError(`host port number must be between 0 (random) and 65535, got ${m.host_port}`);
    }
    if (!Number.isInteger(range) || range < 1) throw new InvalidArgumentError(`port range must be a positive number of ports, got ${m.range}`);
    if (m.container_port + range - 1 > 65535) throw new InvalidArgumentError(`container port range exceeds maximum allowable port number: ${describe(m)}`);
    if (m.host_port + range - 1 > 65535) throw new InvalidArgumentError(`host port range exceeds maximum allowable port number: ${describe(m)}`);
    let byProtocol = groups.get(m.host_ip);
    if (!byProtocol) groups.set(m.host_ip, (byProtocol = new Map()));
    for (const protocol of protocols) {
      const spans = byProtocol.get(protocol) ?? [];
      spans.push({ host: m.host_port, container: m.container_port, range });
      byProtocol.set(protocol, spans);
    }
  }

  const result: PortMapping[] = [];
  for (const [hostIp, byProtocol] of groups) {
    for (const protocol of PROTOCOLS) {
      const spans = byProtocol.get(protocol);
      if (!spans) continue;
      const emit = (s: Span): void => void result.push({ host_ip: hostIp, container_port: s.container, host_port: s.host, range: s.range, protocol });
      const fixed = spans.filter((s) => s.host !== 0).sort((a, b) => a.host - b.host || a.container - b.container);
      let previous: Span | undefined;
      for (const span of fixed) {
        if (previous && previous.host + previous.range >= span.host) {
          const shift = span.host - previous.host;
          if (shift === span.container - previous.container) {
            previous.range = Math.max(previous.range, shift + span.range);
            continue;
          }
          // Podman tests `>` here and so lets `-p 8080:80 -p 8080:81` through.
          if (previous.host + previous.range - 1 >= span.host) {
            throw new InvalidArgumentError(`conflicting port mappings for host port ${span.host} (protocol ${protocol}): a host port can be published for one container port only`);
          }
        }
        if (previous) emit(previous);
        previous = { ...span };
      }
      if (previous) emit(previous);

      const random = spans.filter((s) => s.host === 0).sort((a, b) => a.container - b.container);
      previous = undefined;
      for (const span of random) {
        if (previous && previous.container + previous.range > span.container) {
          previous.range = Math.max(previous.range, span.container - previous.container + span.range);
          continue;
        }
        if (previous) emit(previous);
        previous = { ...span };
      }
      if (previous) emit(previous);
    }
  }
  return result;
}

function describe(m: PortMapping): string {
  const ip = m.host_ip === '' ? '' : m.host_ip.includes(':') ? `[${m.host_ip}]:` : `${m.host_ip}:`;
  const span = (start: number): string => (m.range > 1 ? `${start}-${start + m.range - 1}` : `${start}`);
  return `"${ip}${m.host_port === 0 ? '' : span(m.host_port)}:${span(m.container_port)}/${m.protocol}"`;
}

// ------------------------------------------------------------------ random host ports

/** How assignRandomHostPorts checks a port; tests pass a fake. */
export type Probe = (protocol: string, hostIp: string, port: number) => Promise<number | undefined>;

const UNAVAILABLE = new Set(['EADDRINUSE', 'EACCES', 'EPERM']);

function probeTcp(host: string | undefined, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code && UNAVAILABLE.has(e.code) ? resolve(undefined) : reject(e)));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

function probeUdp(type: 'udp4' | 'udp6', address: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type, ipv6Only: false });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      try {
        socket.close();
      } catch {
        // Already closed by the failed bind.
      }
      if (e.code && UNAVAILABLE.has(e.code)) resolve(undefined);
      else reject(e);
    });
    socket.bind({ port, address, exclusive: true }, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

/**
 * Binds (and releases) `port` for `protocol` on `hostIp` ('' = every address);
 * port 0 lets the kernel choose. Returns the port, or undefined when it is in
 * use. Node has no SCTP sockets: SCTP is checked with TCP, as Podman always does.
 */
export async function probePort(protocol: string, hostIp: string, port: number): Promise<number | undefined> {
  const family = hostIp === '' ? 0 : isIP(hostIp);
  try {
    if (protocol !== 'udp') return await probeTcp(hostIp === '' ? undefined : hostIp, port);
    if (family === 4) return await probeUdp('udp4', hostIp, port);
    try {
      return await probeUdp('udp6', hostIp === '' ? '::' : hostIp, port);
    } catch (e) {
      // No IPv6 on this host: every address means every IPv4 address.
      if (family === 0 && isAddressProblem(e)) return await probeUdp('udp4', '0.0.0.0', port);
      throw e;
    }
  } catch (e) {
    // An address this host does not have (netavark forwards it all the same): ask about every address instead.
    if (hostIp !== '' && isAddressProblem(e)) return probePort(protocol, '', port);
    throw e;
  }
}

function isAddressProblem(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EINVAL';
}

/**
 * Replaces every host_port 0 with free host ports: the kernel picks a start
 * port (bind to port 0 on the host IP, then release it), every further port of
 * a range is bound to check it is free too, and the ports must not be this
 * container's other host ports nor, says `taken`, another container's.
 * `taken` is asked synchronously once the probes are done, so a caller
 * serialising creations can claim the port inside it. A few attempts, then an
 * error.
 */
export async function assignRandomHostPorts(
  mappings: PortMapping[],
  taken: (hostIp: string, port: number, protocol: string) => boolean,
  probe: Probe = probePort,
): Promise<PortMapping[]> {
  const key = (hostIp: string, port: number, protocol: string): string => `${hostIp}|${protocol}|${port}`;
  const own = new Set<string>();
  for (const m of mappings) {
    if (m.host_port === 0) continue;
    for (const protocol of protocolsOf(m)) for (let i = 0; i < (m.range || 1); i++) own.add(key(m.host_ip, m.host_port + i, protocol));
  }

  const result: PortMapping[] = [];
  for (const m of mappings) {
    if (m.host_port !== 0) {
      result.push({ ...m });
      continue;
    }
    const range = m.range || 1;
    const protocols = protocolsOf(m);
    const usable = async (start: number): Promise<boolean> => {
      if (start + range - 1 > 65535) return false;
      const checks: Array<Promise<number | undefined>> = [];
      for (const protocol of protocols) {
        for (let i = 0; i < range; i++) checks.push(probe(protocol, m.host_ip, start + i));
      }
      if ((await Promise.all(checks)).includes(undefined)) return false;
      const ports = protocols.flatMap((protocol) => Array.from({ length: range }, (_, i) => [protocol, start + i] as const));
      if (ports.some(([protocol, port]) => own.has(key(m.host_ip, port, protocol)))) return false;
      return ports.every(([protocol, port]) => !taken(m.host_ip, port, protocol));
    };
    let chosen: number | undefined;
    for (let attempt = 0; attempt < RANDOM_PORT_ATTEMPTS && chosen === undefined; attempt++) {
      const start = await probe(protocols[0]!, m.host_ip, 0);
      if (start !== undefined && (await usable(start))) chosen = start;
    }
    if (chosen === undefined) {
      const what = range > 1 ? `container port ${m.container_port} with range ${range}` : `container port ${m.container_port}`;
      throw new TspodError(
        `failed to find an open port to expose ${what} on the host after ${RANDOM_PORT_ATTEMPTS} attempts: publish it on a chosen host port (-p HOSTPORT:${m.container_port})`,
      );
    }
    for (const protocol of protocols) for (let i = 0; i < range; i++) own.add(key(m.host_ip, chosen + i, protocol));
    result.push({ ...m, host_port: chosen });
  }
  return result;
}

// ------------------------------------------------------------------ output

/** `podman ps`'s PORTS column: `0.0.0.0:8000-8002->80-82/tcp, 127.0.0.1:53->53/udp`. */
export function formatPortMappings(mappings: PortMapping[] | null | undefined): string {
  const parts: string[] = [];
  for (const m of mappings ?? []) {
    const hostIp = m.host_ip || '0.0.0.0';
    for (const protocol of m.protocol.split(',')) {
      if (m.range > 1) {
        parts.push(`${hostIp}:${m.host_port}-${m.host_port + m.range - 1}->${m.container_port}-${m.container_port + m.range - 1}/${protocol}`);
      } else {
        parts.push(`${hostIp}:${m.host_port}->${m.container_port}/${protocol}`);
      }
    }
  }
  return parts.join(', ');
}

/** The PRIVATE_PORT[/PROTO] argument of `port`; tcp when no protocol is given. */
export function parsePortFilter(value: string): { port: number; protocol: string } {
  const fields = value.split('/');
  if (fields.length > 2) throw new InvalidArgumentError(`port formats are port/protocol. '${value}' is invalid`);
  const text = fields[0]!;
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
  const port = Number(text);
  if (port > 65535) throw new InvalidArgumentError(`strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range`);
  return { port, protocol: fields[1] ?? 'tcp' };
}

/**
 * `podman port` lines: `80/tcp -> 0.0.0.0:8080`, one per port of a range; with
 * a PRIVATE_PORT[/PROTO] filter just the host side, `0.0.0.0:8080`, once per
 * mapping publishing it.
 */
export function portLines(mappings: PortMapping[], filter?: string): string[] {
  const wanted = filter === undefined || filter === '' ? undefined : parsePortFilter(filter);
  const lines: string[] = [];
  for (const m of mappings) {
    const hostIp = m.host_ip || '0.0.0.0';
    for (const protocol of m.protocol.split(',')) {
      if (!wanted) {
        for (let i = 0; i < m.range; i++) lines.push(`${m.container_port + i}/${protocol} -> ${hostIp}:${m.host_port + i}`);
      } else if (protocol === wanted.protocol && m.container_port <= wanted.port && wanted.port < m.container_port + m.range) {
        lines.push(`${hostIp}:${m.host_port + wanted.port - m.container_port}`);
        break;
      }
    }
  }
  if (wanted && lines.length === 0) throw new TspodError(`failed to find published port "${filter}"`);
  return lines;
}

/** Go's map order, as JSON prints map keys: by bytes. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * `NetworkSettings.Ports` of `inspect`: each published port under `PORT/PROTO`
 * with its host IP and port, exposed ports that are not published as null.
 */
export function inspectPortBindings(mappings: PortMapping[], exposed: ExposedPort[] = []): InspectPorts {
  const bindings = new Map<string, Array<{ HostIp: string; HostPort: string }> | null>();
  for (const m of mappings) {
    for (const protocol of m.protocol.split(',')) {
      for (let i = 0; i < m.range; i++) {
        const key = `${m.container_port + i}/${protocol}`;
        bindings.set(key, [...(bindings.get(key) ?? []), { HostIp: m.host_ip, HostPort: String(m.host_port + i) }]);
      }
    }
  }
  for (const e of exposed) {
    for (let port = e.port; port < e.port + e.range; port++) {
      const key = `${port}/${e.protocol}`;
      if (!bindings.has(key)) bindings.set(key, null);
    }
  }
  return Object.fromEntries([...bindings].sort(([a], [b]) => byBytes(a, b)));
}

/** The mappings behind an inspect report's `NetworkSettings.Ports`, in the order Podman stores them. */
export function mappingsFromInspect(ports: unknown): PortMapping[] {
  if (typeof ports !== 'object' || ports === null) return [];
  const mappings: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(ports as Record<string, unknown>)) {
    const match = /^(\d+)\/([a-z]+)$/.exec(key);
    if (!match || !Array.isArray(bindings)) continue;
    for (const binding of bindings as Array<{ HostIp?: unknown; HostPort?: unknown }>) {
      const hostPort = Number(binding?.HostPort);
      if (!Number.isInteger(hostPort) || hostPort < 1) continue;
      const hostIp = typeof binding.HostIp === 'string' && binding.HostIp !== '0.0.0.0' ? binding.HostIp : '';
      mappings.push({ host_ip: hostIp, container_port: Number(match[1]), host_port: hostPort, range: 1, protocol: match[2]! });
    }
  }
  try {
    return mergeAndValidate(mappings);
  } catch {
    // Whatever the engine recorded is what it publishes: list it as it is.
    return mappings;
  }
}
