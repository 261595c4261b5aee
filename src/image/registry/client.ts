import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { TspodError } from '../../util/errors.js';
import { trustedRoots, uniqueCertificates } from './trustStore.js';

/**
 * A client for one registry speaking the Docker registry v2 / OCI distribution
 * API, as containers/image does: https (http only for registries marked
 * insecure), WWW-Authenticate challenges answered with Basic credentials or
 * Bearer tokens (cached per scope), retries with backoff on transient
 * failures, and redirects to blob storage followed without our credentials.
 */

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (auth.json's identitytoken). */
  identityToken?: string;
}

export interface RegistryClientOptions {
  /** host[:port] as in image references; docker.io is served by registry-1.docker.io. */
  registry: string;
  /** False: skip TLS verification and allow plain http (--tls-verify=false, or insecure in registries.conf). */
  tlsVerify?: boolean;
  /** Directory with CA certificates (*.crt) and a client certificate (*.cert + *.key); default /etc/containers/certs.d/<registry>. */
  certDir?: string;
  credentials?: Credentials;
  userAgent?: string;
  /** Attempts for transient failures (connection errors, 429, 5xx). */
  retries?: number;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

export class RegistryError extends TspodError {
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_ERROR_BODY = 64 * 1024;

export class RegistryClient {
  readonly registry: string;
  private readonly host: string;
  private baseUrl: string | undefined;
  private pinging: Promise<string> | undefined;
  /** A ping started early (warm) that failed: the first request reports it. */
  private pingFailure: Promise<never> | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly tokens = new Map<string, string>();
  private challenge: Challenge | null | undefined;

  constructor(private readonly opts: RegistryClientOptions) {
    this.registry = opts.registry;
    this.host = opts.registry === 'docker.io' ? 'registry-1.docker.io' : opts.registry;
    this.dispatcher = new Agent({ connect: tlsOptions(opts), maxRedirections: 0 });
  }

  /**
   * The scheme+host the registry answers on: https, or http for an insecure
   * registry that does not speak TLS. Requests started together share one ping.
   */
  private base(): Promise<string> {
    if (this.baseUrl) return Promise.resolve(this.baseUrl);
    if (this.pingFailure) return this.pingFailure;
    this.pinging ??= this.findBase().finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  private async findBase(): Promise<string> {
    const candidates = this.opts.tlsVerify === false ? [`https://${this.host}`, `http://${this.host}`] : [`https://${this.host}`];
    // Without verification the plain-HTTP ping is sent beside the TLS one instead of after its
    // failure (a round trip less against an HTTP registry); TLS still wins when both answer.
    const pings = candidates.map((url) => this.pingAt(url));
    for (const p of pings) p.catch(() => undefined);
    let lastError: unknown;
    for (const [i, url] of candidates.entries()) {
      try {
        this.challenge = await pings[i]!;
        this.baseUrl = url;
        return url;
      } catch (e) {
        lastError = e;
      }
    }
    throw new RegistryError(`pinging container registry ${this.registry}: ${describeNetworkError(lastError)}: check the name, or use --tls-verify=false for a registry without TLS`, 0);
  }

  /**
   * Starts the ping now, so its round trips overlap the caller's local work
   * before the first request (a push reads its layers' records meanwhile). A
   * failure is reported by the first request, as if it had pinged itself.
   */
  warm(): void {
    this.base().catch((e: unknown) => {
      this.pingFailure ??= Promise.reject(e);
      this.pingFailure.catch(() => undefined);
    });
  }

  /** GET /v2/ at one base URL: resolves with the auth challenge it answered with (null for none). */
  private async pingAt(url: string): Promise<Challenge | null | undefined> {
    const res = await this.call(`${url}/v2/`, { method: 'GET', headers: this.baseHeaders() });
    const text = await readText(res.body);
    if (res.statusCode !== 200 && res.statusCode !== 401) {
      throw new RegistryError(`pinging container registry ${this.registry}: ${res.statusCode} ${text.slice(0, 200)}`, res.statusCode);
    }
    return res.statusCode === 401 ? parseChallenge(res.headers['www-authenticate']) : null;
  }

  /** One HTTP exchange through this client's agent (dist/undici.cjs holds the agent, not undici's top-level request()). */
  private call(url: string, opts: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData> {
    const { origin, pathname, search } = new URL(url);
    return this.dispatcher.request({ ...opts, origin, path: `${pathname}${search}` });
  }

  private baseHeaders(): Record<string, string> {
    return { 'user-agent': this.opts.userAgent ?? 'tspod' };
  }

  /** Checks the credentials against the registry (login): resolves when /v2/ accepts them. */
  async ping(): Promise<void> {
    await this.base();
    if (!this.challenge) return;
    const res = await this.request('GET', '/v2/', { scope: undefined });
    await readText(res.body);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`logging in to ${this.registry}: invalid username/password: check them and try again`, res.status);
    }
    if (res.status !== 200) throw new RegistryError(`logging in to ${this.registry}: ${res.status}`, res.status);
  }

  /**
   * One API call with authentication and retries. `scope` is the token scope
   * (`repository:NAME:pull`); `expect` the statuses that are success. Bodies
   * given as functions are re-created for each attempt.
   */
  async request(
    method: string,
    path: string,
    init: {
      scope?: string;
      headers?: Record<string, string>;
      body?: () => Readable | Buffer | string;
      expect?: number[];
      /** Follow a redirect (blob downloads go to storage backends). */
      follow?: boolean;
      /** Attempts for this call, overriding the client's: 1 for a body that cannot be re-created. */
      retries?: number;
    } = {},
  ): Promise<RegistryResponse> {
    const base = await this.base();
    const attempts = Math.max(1, init.retries ?? this.opts.retries ?? 3);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(200 * 2 ** (attempt - 1));
      try {
        let res = await this.send(method, path.startsWith('http') ? path : `${base}${path}`, init, true);
        if (res.status === 401 && this.challenge !== null) {
          await readText(res.body);
          this.challenge = parseChallenge(res.headers['www-authenticate']) ?? this.challenge;
          if (this.challenge?.scheme === 'bearer') this.tokens.delete(init.scope ?? '');
          res = await this.send(method, path.startsWith('http') ? path : `${base}${path}`, init, true, true);
        }
        if (init.follow && res.status >= 300 && res.status < 400 && res.headers.location) {
          await readText(res.body);
          const target = new URL(String(res.headers.location), `${base}${path}`).toString();
          // Blob storage gets no registry credentials.
          res = await this.send('GET', target, { ...init, body: undefined }, false);
        }
        if (TRANSIENT_STATUS.has(res.status) && attempt < attempts - 1) {
          await readText(res.body);
          continue;
        }
        if (init.expect && !init.expect.includes(res.status)) {
          throw await this.failure(method, path, res);
        }
        return res;
      } catch (e) {
        lastError = e;
        if (e instanceof RegistryError || attempt === attempts - 1) break;
      }
    }
    if (lastError instanceof RegistryError) throw lastError;
    throw new RegistryError(`${method} ${this.registry}${path}: ${describeNetworkError(lastError)}`, 0);
  }

  private async send(
    method: string,
    url: string,
    init: { scope?: string; headers?: Record<string, string>; body?: () => Readable | Buffer | string },
    withAuth: boolean,
    freshToken = false,
  ): Promise<RegistryResponse> {
    const headers: Record<string, string> = { ...this.baseHeaders(), ...init.headers };
    if (withAuth) {
      const auth = await this.authorization(init.scope, freshToken);
      if (auth) headers.authorization = auth;
    }
    const res = await this.call(url, { method: method as Dispatcher.HttpMethod, headers, body: init.body?.() });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  private async authorization(scope: string | undefined, fresh: boolean): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const creds = this.opts.credentials;
    if (challenge.scheme === 'basic') {
      if (!creds?.username) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
    }
    const key = scope ?? '';
    if (!fresh && this.tokens.has(key)) return `Bearer ${this.tokens.get(key)}`;
    const token = await this.fetchToken(challenge, scope);
    this.tokens.set(key, token);
    return `Bearer ${token}`;
  }

  private async fetchToken(challenge: Challenge, scope: string | undefined): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`registry ${this.registry} asked for a token without naming its realm`, 401);
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    if (scope) url.searchParams.set('scope', scope);
    const creds = this.opts.credentials;
    const headers: Record<string, string> = this.baseHeaders();
    let method: Dispatcher.HttpMethod = 'GET';
    let body: string | undefined;
    if (creds?.identityToken) {
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: challenge.params.service ?? '', scope: scope ?? '', client_id: 'tspod' }).toString();
    } else if (creds?.username) {
      headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
    }
    const res = await this.call(url.toString(), { method, headers, body });
    const text = await readText(res.body);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryError(`authenticating to ${this.registry}: invalid username/password: check them, or log in with tspod login ${this.registry}`, res.statusCode);
    }
    if (res.statusCode !== 200) throw new RegistryError(`getting a token from ${url.host}: ${res.statusCode} ${text.slice(0, 200)}`, res.statusCode);
    const parsed = JSON.parse(text) as { token?: string; access_token?: string };
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryError(`the token service of ${this.registry} returned no token`, 0);
    return token;
  }

  /** A registry error response as one line: its `errors[].message`, or the status. */
  private async failure(method: string, path: string, res: RegistryResponse): Promise<RegistryError> {
    const text = await readText(res.body, MAX_ERROR_BODY);
    let detail = '';
    try {
      const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
      detail = (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      detail = text.trim().slice(0, 200);
    }
    if (res.status === 401 || res.status === 403) {
      return new RegistryError(
        `${method === 'GET' || method === 'HEAD' ? 'reading from' : 'writing to'} ${this.registry}: authentication required${detail ? ` (${detail})` : ''}: log in with tspod login ${this.registry}`,
        res.status,
      );
    }
    return new RegistryError(`${method} ${this.registry}${path.split('?')[0]}: ${res.status}${detail ? ` ${detail}` : ''}`, res.status);
  }

  /** A Location header (absolute, or relative to the registry's API) as an absolute URL. */
  async resolveUrl(location: string): Promise<string> {
    return new URL(location, `${await this.base()}/v2/`).toString();
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

/** Reads a (small) body whole, at most `limit` bytes; a bigger one is refused with `tooLarge()`. */
export async function readBody(body: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads a (small) body as text, at most `limit` bytes. */
export async function readText(body: Readable, limit = 4 * 1024 * 1024): Promise<string> {
  const bytes = await readBody(body, limit, () => new RegistryError(`the registry's response is larger than ${limit} bytes: refusing it`, 0));
  return bytes.toString('utf8');
}

export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(text);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

interface TlsOptions {
  rejectUnauthorized: boolean;
  secureContext?: SecureContext;
}

function tlsOptions(opts: RegistryClientOptions): TlsOptions {
  const verify = opts.tlsVerify !== false;
  const ca: Buffer[] = [];
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  const dirs = opts.certDir ? [opts.certDir] : [join('/etc/containers/certs.d', opts.registry), join('/etc/docker/certs.d', opts.registry)];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      const path = join(dir, file);
      if (file.endsWith('.crt')) ca.push(readFileSync(path));
      else if (file.endsWith('.cert')) cert = readFileSync(path);
      else if (file.endsWith('.key')) key = readFileSync(path);
    }
  }
  // Not verifying, no CA is needed: an empty list spares Node's default context, whose ~140
  // roots cost ~30 ms to parse at the first TLS connection (the ping of an insecure registry).
  if (!verify) return { rejectUnauthorized: false, secureContext: createSecureContext({ ca: [], cert, key }) };
  // The system's roots, as Podman trusts them; certs.d's CAs add to them, as containers/image
  // adds them, and so do NODE_EXTRA_CA_CERTS's. One context serves every connection: passed as
  // options, the roots were parsed again for each one.
  const extra = extraCaCerts();
  const roots = uniqueCertificates([...trustedRoots(), ...(extra ? [extra] : []), ...ca.map((c) => c.toString('latin1'))]);
  return { rejectUnauthorized: true, secureContext: createSecureContext({ ca: roots, cert, key }) };
}

/**
 * The CAs NODE_EXTRA_CA_CERTS names, which Node adds to its roots. bin/tspod
 * hides the variable from Node's start-up, where loading them cost every
 * command ~60 ms; they are added here, for the registries that need them.
 */
function extraCaCerts(): string | undefined {
  const path = process.env.NODE_EXTRA_CA_CERTS;
  if (!path) return undefined;
  try {
    return readFileSync(path, 'latin1');
  } catch {
    // As Node does, an unreadable file adds nothing.
    return undefined;
  }
}

function describeNetworkError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = (e as { code?: string }).code ?? cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'no such host';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return 'x509: certificate signed by unknown authority (add its CA to /etc/containers/certs.d or use --cert-dir)';
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'http: server gave HTTP response to HTTPS client';
  return (cause?.message ?? e.message).replace(/\s*\n\s*/g, ' ').trim();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
