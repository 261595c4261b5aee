import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const TSPOD = resolve(import.meta.dirname, '../../bin/tspod');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const NET_SLOTS = join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-test-net-slots');

/**
 * A network slot no other live sandbox holds: slot N owns subnet 10.(200+N/256).(N%256).0/24
 * and bridge tspt<N>, so parallel test files (and Podman) never share a bridge or subnet.
 */
function claimNetSlot(): number {
  mkdirSync(NET_SLOTS, { recursive: true });
  for (let slot = 0; slot < 2048; slot++) {
    const file = join(NET_SLOTS, String(slot));
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return slot;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      try {
        process.kill(owner, 0);
      } catch {
        // its sandbox's process is gone: take it over
        writeFileSync(file, String(process.pid));
        return slot;
      }
    }
  }
  throw new Error('no free test network slot');
}

export function slotSubnet(slot: number): { subnet: string; gateway: string; prefix: string } {
  const prefix = `10.${200 + (slot >> 8)}.${slot & 255}`;
  return { subnet: `${prefix}.0/24`, gateway: `${prefix}.1`, prefix };
}

/** A private storage root (and default network) for one test file, removed by `cleanup`. */
export class Sandbox {
  readonly dir: string;
  readonly netSlot: number;

  constructor(name: string) {
    this.dir = mkdtempSync(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', `tspod-${name}-`));
    this.netSlot = claimNetSlot();
    const { subnet, gateway } = slotSubnet(this.netSlot);
    mkdirSync(this.networkDir, { recursive: true });
    // The default network, pinned to this sandbox's own bridge and subnet.
    writeFileSync(
      join(this.networkDir, 'podman.json'),
      JSON.stringify({
        name: 'podman',
        // netavark names its chains after the network id: Podman's fixed default id would share them.
        id: randomBytes(32).toString('hex'),
        driver: 'bridge',
        network_interface: this.bridge,
        created: new Date().toISOString(),
        subnets: [{ subnet, gateway }],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        ipam_options: { driver: 'host-local' },
      }),
    );
  }

  get networkDir(): string {
    return join(this.dir, 'networks');
  }

  /** The default network's bridge. */
  get bridge(): string {
    return `tspt${this.netSlot}`;
  }

  get globalArgs(): string[] {
    return ['--root', join(this.dir, 'root'), '--runroot', join(this.dir, 'run'), '--network-config-dir', this.networkDir];
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CONTAINERS_REGISTRIES_CONF: join(import.meta.dirname, 'registries.conf'),
      CONTAINERS_CONF: '/dev/null',
    };
  }

  /** Runs tspod synchronously with this sandbox's storage. */
  run(args: string[], opts: { input?: Buffer | string } = {}): RunResult {
    // A hung command fails its test instead of hanging the whole run.
    const r = spawnSync(TSPOD, [...this.globalArgs, ...args], { input: opts.input, env: this.env, maxBuffer: 1 << 30, timeout: 180_000 });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  /** Runs tspod and returns its stdout as bytes (archives written to stdout). */
  runBinary(args: string[]): { code: number; stdout: Buffer; stderr: string } {
    const r = spawnSync(TSPOD, [...this.globalArgs, ...args], { env: this.env, maxBuffer: 1 << 30 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
  }

  /** Like run, but asserts success and returns stdout. */
  ok(args: string[], opts: { input?: Buffer | string } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`tspod ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** Runs tspod asynchronously (for concurrency tests). */
  runAsync(args: string[]): Promise<RunResult> {
    return new Promise((resolvePromise) => {
      const child = spawn(TSPOD, [...this.globalArgs, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('close', (code) =>
        resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
      );
    });
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  cleanup(): void {
    // tspod keeps a network's bridge while the network exists: prune releases this sandbox's.
    if (existsSync(`/sys/class/net/${this.bridge}`)) this.run(['network', 'prune', '-f']);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(join(NET_SLOTS, String(this.netSlot)), { force: true });
  }
}

export function fixturesDir(): string {
  return join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-test-fixtures');
}

/** A TCP port free on 127.0.0.1 right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GET http://127.0.0.1:PORT/PATH from this process (the host's side of a published port). */
export function httpGet(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export { tmpdir };
