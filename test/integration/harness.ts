import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const TSPOD = resolve(import.meta.dirname, '../../bin/tspod');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A private storage root for one test file, removed by `cleanup`. */
export class Sandbox {
  readonly dir: string;

  constructor(name: string) {
    this.dir = mkdtempSync(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', `tspod-${name}-`));
  }

  get globalArgs(): string[] {
    return ['--root', join(this.dir, 'root'), '--runroot', join(this.dir, 'run')];
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
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function fixturesDir(): string {
  return join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-test-fixtures');
}

export { tmpdir };
