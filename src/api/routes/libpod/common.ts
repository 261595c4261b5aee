/**
 * What the libpod route modules share: registration that answers errors in
 * the libpod shape (with the engine's error code and exit code), per-item
 * error reports, and the query parameters Podman's bindings send.
 */
import type { ServerResponse } from 'node:http';
import { RouteRegistrar, type ApiRouter, type Method } from '../../router.js';
import { MAX_JSON_BODY, PayloadTooLargeError, queryFilters, readJsonBody, sendJson, type ApiContext, type RouteHandler } from '../../http.js';
import { toWireError } from '../../libpod/errors.js';
import { collectWarnings } from '../../../util/warnings.js';
import { hijack, type HijackedConnection } from '../../streams.js';
import { BadInputError, TspodError } from '../../../util/errors.js';
import type { RegistryAccessOptions } from '../../../engine/types.js';
import { registryCredentials } from '../../compat/images.js';

export function sendLibpodError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = toWireError(err);
  sendJson(res, body.response, body);
}

/** The header that carries the engine's warnings to a remote client (tspod's addition). */
export const WARNINGS_HEADER = 'X-Tspod-Warnings';

/** Warnings the engine gives while a request runs go out in a header with the answer. */
function forwardWarnings(res: ServerResponse): string[] {
  const warnings: string[] = [];
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (warnings.length && !res.headersSent) res.setHeader(WARNINGS_HEADER, encodeURIComponent(JSON.stringify(warnings)));
    return writeHead(...args);
  }) as typeof res.writeHead;
  return warnings;
}

/** Registers `/libpod${path}` with errors answered in the libpod shape and the engine's warnings forwarded. */
export class LibpodRoutes extends RouteRegistrar {
  constructor(private readonly router: ApiRouter) {
    super();
  }

  on(method: Method | Method[], path: string, handler: RouteHandler): this {
    this.router.on(method, `/libpod${path}`, async (ctx) => {
      const warnings = forwardWarnings(ctx.res);
      try {
        await collectWarnings((line) => warnings.push(line), () => handler(ctx));
      } catch (err) {
        sendLibpodError(ctx.res, err);
      }
    });
    return this;
  }
}

/** One item's failure inside a list report: the message, plus what the client needs to raise it typed. */
export function itemError(err: Error | undefined): ReturnType<typeof toWireError> | null {
  return err ? toWireError(err) : null;
}

/** `?a=1&a=2` and `?a=1,2` both as [1, 2] (Podman's bindings send repeated keys). */
export function queryList(query: URLSearchParams, name: string): string[] {
  return query.getAll(name).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

export function queryString(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  return v === null ? undefined : v;
}

/** A boolean that may be absent (undefined), as tlsVerify. */
export function queryOptionalBool(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  return v === '1' || v.toLowerCase() === 'true';
}

export function filtersOf(ctx: ApiContext): string[] {
  return queryFilters(ctx.query);
}

/** 204 after an action, as Podman answers start/stop/... */
export function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** X-Registry-Auth: base64 JSON `{username, password}` (or a map of registries to those). */
export function registryAccessOf(ctx: ApiContext): RegistryAccessOptions {
  const access: RegistryAccessOptions = {};
  const tls = queryOptionalBool(ctx.query, 'tlsVerify');
  if (tls !== undefined) access.tlsVerify = tls;
  const header = ctx.req.headers['x-registry-auth'];
  if (typeof header === 'string' && header !== '') {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    } catch {
      throw new BadInputError('X-Registry-Auth header: not base64-encoded JSON');
    }
    const creds = decoded as { username?: unknown; password?: unknown; identitytoken?: unknown };
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const username = text(creds?.username);
    const password = typeof creds?.password === 'string' ? creds.password : username ? '' : undefined;
    const credentials = registryCredentials({ username, password, identitytoken: text(creds?.identitytoken) });
    if (credentials) access.credentials = credentials;
  }
  return access;
}

/** The only name of a multi-name engine call's single report, or its error. */
export function single<T extends { error?: Error }>(reports: T[], what: string): T {
  const [report] = reports;
  if (!report) throw new TspodError(`${what}: the engine returned no report`);
  if (report.error) throw report.error;
  return report;
}

/**
 * The JSON body of a request that may be an `Upgrade: tcp` one (exec start):
 * there node hands over the raw connection with the body still on it, and the
 * body must come off before the rest becomes the client's stdin.
 */
export async function readRequestJson(ctx: ApiContext): Promise<Record<string, unknown>> {
  if (!ctx.upgrade) return readJsonBody(ctx.req);
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length <= 0) return {};
  if (length > MAX_JSON_BODY) throw new PayloadTooLargeError(`request body of ${length} bytes is larger than the ${MAX_JSON_BODY}-byte limit`);
  const { socket } = ctx.upgrade;
  let buffered = ctx.upgrade.head;
  while (buffered.length < length) {
    const chunk = await new Promise<Buffer>((resolve, reject) => {
      const onData = (c: Buffer) => {
        cleanup();
        socket.pause();
        resolve(c);
      };
      const onEnd = () => {
        cleanup();
        reject(new BadInputError('the connection ended inside the request body'));
      };
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('error', onEnd);
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('error', onEnd);
    });
    buffered = Buffer.concat([buffered, chunk]);
  }
  ctx.upgrade.head = buffered.subarray(length);
  const text = buffered.subarray(0, length).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`malformed JSON in request body: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadInputError('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** A raw (non-JSON) request body up to `limit` bytes: secret data, kube YAML. */
export async function readRawBody(req: import('node:http').IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(`${what} is larger than the ${limit}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The connection of a request without `Upgrade` (Podman's exec start), taken
 * over as Podman's server does: a bare 200 head, then raw bytes both ways
 * (node's own response would chunk them, and its parser would read the
 * client's stdin as the next request).
 */
export function takeOverConnection(ctx: ApiContext, contentType: string): HijackedConnection {
  if (ctx.upgrade) return hijack(ctx, contentType);
  const socket = ctx.req.socket;
  for (const event of ['data', 'end'] as const) {
    for (const listener of socket.listeners(event)) {
      if (/(^|\s)socketOn(Data|End)$/.test((listener as { name: string }).name)) socket.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  // Reading from the socket in JS takes it off node's native parser; paused, the client's stdin waits for the session.
  const noop = () => {};
  socket.on('data', noop);
  socket.off('data', noop);
  socket.pause();
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nConnection: close\r\n\r\n`);
  return { input: socket, output: socket, close: () => socket.end() };
}
