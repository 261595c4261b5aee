/**
 * A real registry for tests: Debian's docker-registry (distribution 2.8) on
 * 127.0.0.1 with a free port, plain HTTP, or TLS with a self-signed CA plus
 * htpasswd auth. Each one lives in its own temp dir and is stopped by PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { freePort } from './harness.js';

export interface TestRegistry {
  /** 127.0.0.1:PORT, as image references name it. */
  host: string;
  dir: string;
  /** With TLS: a dir holding ca.crt, for --cert-dir. */
  certDir?: string;
  user?: string;
  password?: string;
  stop(): void;
}

export async function startRegistry(opts: { tls?: boolean; auth?: boolean } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  let certDir: string | undefined;
  if (opts.tls) {
    certDir = join(dir, 'certs');
    mkdirSync(certDir);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tspod test CA', '-keyout', join(dir, 'ca.key'), '-out', join(certDir, 'ca.crt'));
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr'));
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(certDir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(dir, 'san.ext'), '-out', join(dir, 'server.crt'));
    lines.push('  tls:', `    certificate: ${join(dir, 'server.crt')}`, `    key: ${join(dir, 'server.key')}`);
  }
  let user: string | undefined;
  let password: string | undefined;
  if (opts.auth) {
    user = 'tester';
    password = 'sekrit-pass';
    const hash = execFileSync('python3', ['-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', password], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    }).trim();
    writeFileSync(join(dir, 'htpasswd'), `${user}:${hash}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: tspod-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    if (await answers(host, opts.tls === true)) break;
    if (Date.now() > deadline) {
      stop();
      throw new Error(`docker-registry did not answer on ${host}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, dir, certDir, user, password, stop };
}

function answers(host: string, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const [hostname, port] = host.split(':');
    const req = (tls ? httpsRequest : httpRequest)({ hostname, port: Number(port), path: '/v2/', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
