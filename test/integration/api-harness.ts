/**
 * A `tspod system service` on a private unix socket, over a Sandbox's storage,
 * for the API tests: started before a file's tests, stopped (by its PID) after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Sandbox, TSPOD } from './harness.js';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

export class ApiService {
  readonly socket: string;
  private child: ChildProcess | undefined;
  stderr = '';

  constructor(readonly box: Sandbox) {
    this.socket = box.path('api.sock');
  }

  /** The value for DOCKER_HOST / CONTAINER_HOST. */
  get url(): string {
    return `unix://${this.socket}`;
  }

  /** Environment for a Docker client (docker CLI, docker-compose, docker-py, dockerode) pointed at this service. */
  get clientEnv(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.url, DOCKER_CONFIG: this.box.path('docker-config') };
  }

  async start(extraArgs: string[] = []): Promise<void> {
    this.child = spawn(TSPOD, [...this.box.globalArgs, 'system', 'service', '--time', '0', ...extraArgs, this.url], {
      env: this.box.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      this.child!.once('exit', (code) => reject(new Error(`system service exited ${code}: ${this.stderr}`))),
    );
    exited.catch(() => {});
    // Ready once it answers _ping (the socket file appears just before it listens).
    for (let i = 0; i < 600; i++) {
      if (existsSync(this.socket)) {
        try {
          const r = await Promise.race([this.request('GET', '/_ping'), exited]);
          if (r.status === 200) return;
        } catch (err) {
          if (this.child.exitCode !== null) throw err;
        }
      }
      await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
    }
    throw new Error(`system service did not answer on ${this.socket}: ${this.stderr}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const req = httpRequest(
        {
          socketPath: this.socket,
          // A fresh connection each time: a kept-alive one may have been closed by the service's idle
          // timeout while a test blocked the event loop (spawnSync), and would fail with EPIPE.
          agent: false,
          method,
          path,
          headers: { ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const buf = Buffer.concat(chunks);
            let json: unknown;
            try {
              json = JSON.parse(buf.toString());
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

export { join };
