/**
 * What every route handler works with: the request's parameters, a bounded
 * JSON body reader, and the two ways to answer (JSON, or an error as Docker
 * and Podman shape it: `{"cause", "message", "response"}`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine/types.js';
import { BadInputError, TspodError } from '../util/errors.js';

/** Request bodies above this are refused with 413 (build contexts and image tarballs stream instead). */
export const MAX_JSON_BODY = 8 * 1024 * 1024;

export class PayloadTooLargeError extends TspodError {
  override code = 'PAYLOAD_TOO_LARGE';
  override status = 413;
}

export class NotFoundRouteError extends TspodError {
  override code = 'NO_SUCH_ROUTE';
  override status = 404;
}

export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters (`:name`), decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (`/v1.41/...`), or undefined when unversioned. */
  apiVersion: string | undefined;
  engine: Engine;
  /** For `Upgrade: tcp` requests (attach, exec start): the raw connection, already past the request head. */
  upgrade?: { socket: Duplex; head: Buffer };
}

export type RouteHandler = (ctx: ApiContext) => Promise<void> | void;

/** Reads and parses a JSON body: 400 for malformed JSON or a non-object, 413 above `limit`. Empty body: `{}`. */
export async function readJsonBody<T extends object = Record<string, unknown>>(
  req: IncomingMessage,
  limit = MAX_JSON_BODY,
): Promise<T> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    await discardBody(req);
    throw new PayloadTooLargeError(`request body of ${declared} bytes is larger than the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', resolve);
      const refused = new PayloadTooLargeError(`request body is larger than the ${limit}-byte limit`);
      void discardBody(req).then(() => reject(refused));
    };
    req.on('data', onData);
    req.once('end', resolve);
    req.once('error', reject);
  });
  return parseJsonBody<T>(Buffer.concat(chunks));
}

/** Past this much of a refused body the connection is cut instead of read to its end. */
const DISCARD_LIMIT = 256 * 1024 * 1024;

/**
 * Reads the rest of a refused body and drops it, so the client can finish
 * sending and then read the error (answering first and closing, as a client
 * that asked for `Connection: close` gets, would cut it off mid-send: EPIPE).
 * One that goes on and on is cut off.
 */
function discardBody(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let dropped = 0;
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_LIMIT) {
        req.socket.destroy();
        resolve();
      }
    });
    req.once('end', () => resolve());
    req.once('close', () => resolve());
    req.on('error', () => resolve());
    req.resume();
  });
}

function parseJsonBody<T extends object>(body: Buffer): T {
  if (body.length === 0) return {} as T;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BadInputError(`malformed JSON in request body: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadInputError('request body must be a JSON object');
  }
  return parsed as T;
}

/**
 * readJsonBody for a request that may come with `Upgrade: tcp` (exec start):
 * there the body arrives on the raw connection, and only its Content-Length
 * bytes are taken; what follows is the stream (stdin) and stays in `head`.
 */
export async function readContextJson<T extends object = Record<string, unknown>>(ctx: ApiContext, limit = MAX_JSON_BODY): Promise<T> {
  const upgrade = ctx.upgrade;
  if (!upgrade) return readJsonBody<T>(ctx.req, limit);
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0) throw new BadInputError('invalid Content-Length');
  if (length > limit) throw new PayloadTooLargeError(`request body of ${length} bytes is larger than the ${limit}-byte limit`);
  let buffered = upgrade.head;
  while (buffered.length < length) {
    const chunk = upgrade.socket.read() as Buffer | null;
    if (chunk) {
      buffered = Buffer.concat([buffered, chunk]);
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const onReadable = () => done(resolve);
      const onEnd = () => done(() => reject(new BadInputError('the connection ended before the request body did')));
      const done = (then: () => void) => {
        upgrade.socket.off('readable', onReadable);
        upgrade.socket.off('end', onEnd);
        then();
      };
      upgrade.socket.on('readable', onReadable);
      upgrade.socket.on('end', onEnd);
    });
  }
  upgrade.head = buffered.subarray(length);
  return parseJsonBody<T>(buffered.subarray(0, length));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

/** A body serialised already (a list route that keeps the JSON of what did not change). */
export function sendJsonText(res: ServerResponse, status: number, text: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': typeof text === 'string' ? Buffer.byteLength(text) : text.length });
  res.end(text);
}

/** 204 / 304 and friends. */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** The status and body an error becomes; engine errors carry their own status. */
export function errorResponse(err: unknown): { status: number; body: { cause: string; message: string; response: number } } {
  const status = err instanceof TspodError ? err.status : 500;
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof TspodError && err.cause instanceof Error ? err.cause.message : message;
  return { status, body: { cause, message, response: status } };
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, body } = errorResponse(err);
  if (res.headersSent) {
    // A stream already under way: all that is left is to end it.
    res.destroy();
    return;
  }
  sendJson(res, status, body);
}

/** Query booleans as Docker accepts them: 1/true/True; 0/false/empty are false. */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  if (value === null) return fallback;
  return value === '1' || value.toLowerCase() === 'true';
}

/** An integer query parameter; 400 when present but not a number. */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new BadInputError(`query parameter ${name}: "${value}" is not an integer`);
  return n;
}

/**
 * Docker's `filters` query parameter, `{"label":["a=b"],"status":["running"]}` or the older
 * `{"label":{"a=b":true}}`, as the engine's `key=value` filter strings.
 */
export function queryFilters(query: URLSearchParams): string[] {
  const raw = query.get('filters');
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BadInputError(`query parameter filters: malformed JSON: ${raw}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadInputError('query parameter filters must be a JSON object of filter names to values');
  }
  const filters: string[] = [];
  for (const [key, values] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(values)) {
      for (const v of values) filters.push(`${key}=${String(v)}`);
    } else if (values && typeof values === 'object') {
      for (const [v, on] of Object.entries(values)) if (on) filters.push(`${key}=${v}`);
    } else {
      throw new BadInputError(`query parameter filters: the values of "${key}" must be a list`);
    }
  }
  return filters;
}

/**
 * A list parameter sent either as a JSON array (Podman's client, `cachefrom`) or
 * repeated (the docker CLI's `extrahosts`).
 */
export function queryJsonList(query: URLSearchParams, name: string): string[] {
  return query.getAll(name).flatMap((raw) => {
    if (!raw.trimStart().startsWith('[')) return raw ? [raw] : [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new BadInputError(`query parameter ${name}: malformed JSON: ${raw}`);
    }
    if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string')) throw new BadInputError(`query parameter ${name} must be a JSON list of strings`);
    return parsed as string[];
  });
}

/** `shmsize`: bytes of /dev/shm in RUN containers (0 or absent: the default). */
export function queryShmSize(query: URLSearchParams): number | undefined {
  const raw = query.get('shmsize');
  if (!raw) return undefined;
  const bytes = Number(raw);
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new BadInputError(`query parameter shmsize must be a number of bytes, not "${raw}"`);
  return bytes || undefined;
}
