/**
 * HTTP to a tspod or Podman service: unix://PATH, tcp://HOST:PORT, or
 * ssh://[USER@]HOST[:PORT]/REMOTE/SOCKET through the system ssh client, which
 * forwards a local unix socket to the remote one (`ssh -L local:remote`).
 * Requests go to the libpod API of the version tspod follows.
 */
import { Agent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { API_VERSION } from '../version.js';
import { fromWireError } from '../api/libpod/errors.js';
import { InvalidArgumentError, TspodError } from '../util/errors.js';

export type QueryValue = string | number | boolean | undefined | null | string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A JSON value, raw bytes, or a stream sent as it is. */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  /** The body is raw (Buffer or stream), not JSON. */
  raw?: boolean;
}

export interface ServiceAddress {
  socketPath?: string;
  host?: string;
  port?: number;
  ssh?: { destination: string; port?: string; remoteSocket: string; identity?: string };
}

/** Parses a service URL; `identity` is the ssh key (--identity or the connection's). */
export function parseServiceUrl(url: string, identity?: string): ServiceAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`invalid service URL "${url}": use unix:///path, tcp://host:port or ssh://user@host/path`);
  }
  switch (parsed.protocol) {
    case 'unix:': {
      const path = decodeURIComponent(parsed.pathname);
      if (!path.startsWith('/')) throw new InvalidArgumentError(`invalid service URL "${url}": use unix:///absolute/path`);
      return { socketPath: path };
    }
    case 'tcp:':
    case 'http:': {
      const port = Number(parsed.port || 80);
      if (!parsed.hostname) throw new InvalidArgumentError(`invalid service URL "${url}": use tcp://host:port`);
      return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
    }
    case 'ssh:': {
      if (!parsed.hostname) throw new InvalidArgumentError(`invalid service URL "${url}": use ssh://user@host[:port]/path/to/socket`);
      const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
      const remoteSocket = decodeURIComponent(parsed.pathname) || '/run/podman/podman.sock';
      return { ssh: { destination: `${user}${parsed.hostname}`, port: parsed.port || undefined, remoteSocket, identity } };
    }
    default:
      throw new InvalidArgumentError(`unsupported service URL scheme "${parsed.protocol}" in "${url}": use unix://, tcp:// or ssh://`);
  }
}

export class Transport {
  private readonly agent = new Agent({ keepAlive: true });
  private socketPath: string | undefined;
  private tunnel: { child: ChildProcess; dir: string } | undefined;
  private tunnelReady: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly address: ServiceAddress,
  ) {
    this.socketPath = address.socketPath;
  }

  /** `/v4.3.1/libpod/containers/json?all=true` */
  path(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const v of value) params.append(key, v);
      else params.append(key, String(value));
    }
    const q = params.toString();
    return `/v${API_VERSION}/libpod${path}${q ? `?${q}` : ''}`;
  }

  /** Sends a request; resolves with the response as it starts (status and headers read, body not). */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    await this.connectTunnel();
    const { headers, payload, stream } = this.body(opts);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...this.target(), agent: this.agent, method, path: this.path(path, opts.query), headers }, (res) => {
        printWarnings(res);
        resolve(res);
      });
      req.on('error', (err) => reject(this.connectionError(err)));
      if (stream) {
        stream.on('error', (err) => req.destroy(err));
        stream.pipe(req);
      } else req.end(payload);
    });
  }

  /** A request whose answer is JSON (or nothing); an error status becomes the typed error it stands for. */
  async json<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, body);
    if (body.length === 0) return undefined as T;
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      throw new TspodError(`the service at ${this.url} answered ${method} ${path} with malformed JSON`);
    }
  }

  /** Whether a HEAD-like `exists` request found the object (204) or not (404). */
  async exists(path: string): Promise<boolean> {
    const res = await this.send('GET', path);
    const body = await readAll(res);
    if (res.statusCode === 404) return false;
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, body);
    return true;
  }

  /**
   * A hijacked connection (attach, exec start): `Upgrade: tcp`, answered 101
   * by the service; resolves with the raw socket once the answer is in.
   */
  async upgrade(method: string, path: string, opts: RequestOptions = {}): Promise<Duplex> {
    await this.connectTunnel();
    const { headers, payload } = this.body(opts);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        ...this.target(),
        method,
        path: this.path(path, opts.query),
        headers: { ...headers, Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      req.on('upgrade', (_res, socket: Duplex, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res: IncomingMessage) => {
        void readAll(res).then((body) => reject(errorOf(res, body)), reject);
      });
      req.on('error', (err) => reject(this.connectionError(err)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
    if (this.tunnel) {
      this.tunnel.child.kill();
      rmSync(this.tunnel.dir, { recursive: true, force: true });
      this.tunnel = undefined;
    }
  }

  private target(): { socketPath: string } | { host: string; port: number } {
    if (this.socketPath) return { socketPath: this.socketPath };
    return { host: this.address.host!, port: this.address.port! };
  }

  private body(opts: RequestOptions): { headers: OutgoingHttpHeaders; payload?: Buffer; stream?: Readable } {
    const headers: OutgoingHttpHeaders = { Host: 'd', ...opts.headers };
    if (opts.body === undefined) return { headers };
    if (opts.raw) {
      if (Buffer.isBuffer(opts.body)) return { headers: { 'Content-Type': 'application/x-tar', 'Content-Length': opts.body.length, ...headers }, payload: opts.body };
      return { headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked', ...headers }, stream: opts.body as Readable };
    }
    const payload = Buffer.from(JSON.stringify(opts.body));
    return { headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...headers }, payload };
  }

  private connectionError(err: NodeJS.ErrnoException): TspodError {
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
      return new TspodError(`unable to connect to the tspod service at ${this.url}: is \`tspod system service\` running there? (${err.code})`, { cause: err });
    }
    return new TspodError(`lost the connection to the tspod service at ${this.url}: ${err.message}`, { cause: err });
  }

  /** ssh://: one `ssh -N -L local.sock:remote.sock` for the engine's life. */
  private connectTunnel(): Promise<void> {
    const ssh = this.address.ssh;
    if (!ssh) return Promise.resolve();
    this.tunnelReady ??= new Promise<void>((resolve, reject) => {
      const dir = mkdtempSync(join(tmpdir(), 'tspod-ssh-'));
      const local = join(dir, 'api.sock');
      const args = ['-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'StreamLocalBindUnlink=yes', '-o', 'BatchMode=yes', '-L', `${local}:${ssh.remoteSocket}`];
      if (ssh.port) args.push('-p', ssh.port);
      if (ssh.identity) args.push('-i', ssh.identity);
      args.push(ssh.destination);
      const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.tunnel = { child, dir };
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const cleanup = () => child.kill();
      process.once('exit', cleanup);
      child.once('error', (err) => reject(new TspodError(`cannot run ssh for ${this.url}: ${err.message}: install openssh-client`)));
      child.once('exit', (code) => {
        process.off('exit', cleanup);
        reject(new TspodError(`ssh to ${ssh.destination} exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      });
      const started = Date.now();
      const poll = () => {
        if (existsSync(local)) {
          this.socketPath = local;
          child.unref();
          (child.stderr as unknown as { unref?: () => void }).unref?.();
          resolve();
        } else if (Date.now() - started > 30_000) {
          child.kill();
          reject(new TspodError(`ssh to ${ssh.destination} did not forward ${ssh.remoteSocket} within 30 s`));
        } else setTimeout(poll, 20);
      };
      poll();
    });
    return this.tunnelReady;
  }
}

/** The engine's warnings the service sent with an answer, printed as the local engine prints them. */
function printWarnings(res: IncomingMessage): void {
  const header = res.headers['x-tspod-warnings'];
  if (typeof header !== 'string') return;
  try {
    for (const line of JSON.parse(decodeURIComponent(header)) as string[]) process.stderr.write(line);
  } catch {
    // a malformed header is no reason to fail the command
  }
}

export function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** The typed error of a failed response. */
export function errorOf(res: IncomingMessage, body: Buffer): TspodError {
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return fromWireError(parsed, res.statusCode ?? 500, body.toString('utf8').trim() || `the service answered ${res.statusCode}`);
}

/** The lines of a streamed body, without their newlines (blank ones skipped). */
export async function* linesOf(res: Readable): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of res as AsyncIterable<Buffer>) {
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (pending.trim()) yield pending.trim();
}

/** Reads a newline-delimited JSON stream, one parsed object (and its text) per line. */
export async function* jsonLinesOf(res: Readable): AsyncGenerator<{ value: Record<string, unknown>; line: string }> {
  for await (const line of linesOf(res)) yield { value: JSON.parse(line) as Record<string, unknown>, line };
}
