/**
 * `tspod system service`: the engine over HTTP on unix and tcp sockets, on
 * demand. The process exits after `idleSeconds` without an open connection
 * (Podman's `--time`); 0 serves until it is stopped.
 */
import { createServer, ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, type Server } from 'node:http';
import { chmodSync, mkdirSync, unlinkSync, lstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine/types.js';
import { InvalidArgumentError, TspodError } from '../util/errors.js';
import { NotFoundRouteError, sendError, type ApiContext } from './http.js';
import type { ApiRouter } from './router.js';
import { API_VERSION, VERSION } from '../version.js';

/** The newest Docker Engine API version served, and the oldest. */
export const DOCKER_API_VERSION = '1.44';
export const DOCKER_MIN_API_VERSION = '1.24';

export interface ServiceOptions {
  engine: Engine;
  router: ApiRouter;
  /** unix:///path or tcp://host:port; none with `activatedFds`. */
  listen: string[];
  /** Sockets passed by systemd (LISTEN_FDS), listened on as they are. */
  activatedFds?: number[];
  /** Seconds without a connection before the service exits; 0: never. */
  idleSeconds: number;
  /** Rootless sockets are 0600, rootful 0660. */
  socketMode: number;
  warn(message: string): void;
}

export interface RunningService {
  /** Resolves when the service has stopped (idle timeout or close()). */
  done: Promise<void>;
  close(): void;
}

/** Sent on every response; flat name/value pairs, as writeHead takes them. */
const COMMON_HEADERS: string[] = [
  'Api-Version', DOCKER_API_VERSION,
  'Libpod-Api-Version', API_VERSION,
  'Server', `Libpod/${VERSION} (linux)`,
  'Docker-Experimental', 'false',
  'Ostype', 'linux',
];

/**
 * A response that carries COMMON_HEADERS. A handler that answers with one
 * writeHead(status, headers) (the usual case) gets them in the same call, with
 * no per-header setHeader bookkeeping: this is most of what a `_ping` costs
 * above Node's own HTTP handling. A handler that uses setHeader first gets them
 * through setHeader too, without overriding its own.
 */
class ApiResponse extends ServerResponse {
  private headersSetOneByOne = false;

  override setHeader(name: string, value: number | string | readonly string[]): this {
    this.headersSetOneByOne = true;
    return super.setHeader(name, value);
  }

  override writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
  override writeHead(statusCode: number, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
  override writeHead(
    statusCode: number,
    messageOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    const message = typeof messageOrHeaders === 'string' ? messageOrHeaders : undefined;
    const headers = typeof messageOrHeaders === 'string' ? maybeHeaders : messageOrHeaders;
    if (this.headersSetOneByOne || Array.isArray(headers)) {
      for (let i = 0; i < COMMON_HEADERS.length; i += 2) if (!this.hasHeader(COMMON_HEADERS[i]!)) super.setHeader(COMMON_HEADERS[i]!, COMMON_HEADERS[i + 1]!);
      return message === undefined ? super.writeHead(statusCode, headers) : super.writeHead(statusCode, message, headers);
    }
    const flat = COMMON_HEADERS.slice();
    if (headers) {
      for (const name in headers) {
        const value = headers[name];
        if (value !== undefined) flat.push(name, value as string);
      }
    }
    return message === undefined ? super.writeHead(statusCode, flat) : super.writeHead(statusCode, message, flat);
  }
}

/** What a handler sees; the query string is parsed only when a handler reads it. */
class RequestContext implements ApiContext {
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Record<string, string>,
    readonly apiVersion: string | undefined,
    readonly engine: Engine,
    private readonly rawQuery: string,
    readonly upgrade: { socket: Duplex; head: Buffer } | undefined,
  ) {}

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }
}

const ignoreError = () => {};

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const handle = (req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer }) => {
    res.on('error', ignoreError);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = opts.router.match(req.method ?? 'GET', path);
    if (!match) {
      sendError(res, new NotFoundRouteError(`page not found: ${req.method} ${path}`));
      return;
    }
    const ctx = new RequestContext(req, res, match.params, match.apiVersion, opts.engine, q < 0 ? '' : url.slice(q + 1), upgrade);
    let result: Promise<void> | void;
    try {
      result = match.handler(ctx);
    } catch (err) {
      sendError(res, err);
      return;
    }
    if (result) result.catch((err: unknown) => sendError(res, err));
  };

  const server = createServer({ keepAlive: true, ServerResponse: ApiResponse as unknown as typeof ServerResponse }, (req, res) => handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    // Answers given before the takeover (errors, 404) go out as ordinary responses on the socket.
    const res = new ApiResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    handle(req, res, { socket, head });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const socketFiles: string[] = [];
  let openConnections = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    if (idleTimer) clearTimeout(idleTimer);
    server.close(() => {
      for (const file of socketFiles) {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      }
      resolveDone();
    });
    server.closeAllConnections();
  };
  const armIdleTimer = () => {
    if (opts.idleSeconds <= 0 || closed) return;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(close, opts.idleSeconds * 1000);
  };
  server.on('connection', (socket: Socket) => {
    openConnections += 1;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    socket.once('close', () => {
      openConnections -= 1;
      if (openConnections === 0) armIdleTimer();
    });
  });

  for (const fd of opts.activatedFds ?? []) await listenOn(server, { fd });
  for (const address of opts.listen) {
    const target = parseListenAddress(address);
    if ('path' in target) {
      await removeStaleSocket(target.path);
      mkdirSync(dirname(target.path), { recursive: true });
      await listenOn(server, { path: target.path });
      chmodSync(target.path, opts.socketMode);
      socketFiles.push(target.path);
    } else {
      if (!isLoopback(target.host)) {
        opts.warn(`the API service listens on ${target.host}:${target.port} without TLS or authentication: anyone who can reach it controls the engine`);
      }
      await listenOn(server, { host: target.host, port: target.port });
    }
  }
  armIdleTimer();
  return { done, close };
}

function listenOn(server: Server, target: { fd: number } | { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new TspodError(`cannot listen on ${describe(target)}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(target, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function describe(target: { fd: number } | { path: string } | { host: string; port: number }): string {
  if ('fd' in target) return `inherited socket fd ${target.fd}`;
  if ('path' in target) return `unix://${target.path}`;
  return `tcp://${target.host}:${target.port}`;
}

export function parseListenAddress(address: string): { path: string } | { host: string; port: number } {
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/')) throw new InvalidArgumentError(`invalid socket address "${address}": use unix:///absolute/path`);
    return { path };
  }
  if (address.startsWith('tcp://')) {
    const url = new URL(address);
    const port = Number(url.port);
    if (!url.port || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new InvalidArgumentError(`invalid socket address "${address}": use tcp://HOST:PORT`);
    }
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  throw new InvalidArgumentError(`invalid socket address "${address}": use unix:///path or tcp://host:port`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** A socket file nobody answers on is left from a service that died; one that answers is in use. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) throw new TspodError(`cannot listen on unix://${path}: a file that is not a socket is in the way: remove it or choose another path`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (inUse) throw new TspodError(`cannot listen on unix://${path}: another service is answering there: stop it or choose another path`);
  unlinkSync(path);
}
