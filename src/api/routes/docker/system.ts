/** `_ping`, `version` and `info`: what every Docker client asks first; `system/df` and `auth`. */
import { readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import type { ApiRouter } from '../../router.js';
import { readJsonBody, sendJson, type ApiContext } from '../../http.js';
import { dockerDiskUsage, dockerInfo } from '../../compat/system.js';
import { dockerSummary } from '../../compat/containers.js';
import { withReports } from './containers.js';
import { isLoopbackRegistry } from '../../compat/images.js';
import { BadInputError } from '../../../util/errors.js';
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION } from '../../server.js';
import { API_VERSION, BUILT, VERSION } from '../../../version.js';
import { hostArchitecture } from '../../../util/platform.js';

const PING_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Content-Length': '2',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Builder-Version': '1',
};

export function register(router: ApiRouter): void {
  for (const path of ['/_ping', '/libpod/_ping']) {
    router.get(path, ({ res }) => {
      res.writeHead(200, PING_HEADERS);
      res.end('OK');
    });
    router.head(path, ({ res }) => {
      res.writeHead(200, PING_HEADERS);
      res.end();
    });
  }
  router.get('/version', ({ res }) => sendJson(res, 200, versionReport()));
  router.get('/info', info);
  router.get('/system/df', diskUsage);
  router.post('/auth', auth);
  router.get('/libpod/version', ({ res }) => sendJson(res, 200, versionReport()));
}

export function versionReport(): Record<string, unknown> {
  const goArch = hostArchitecture();
  const built = new Date(BUILT * 1000).toISOString();
  return {
    Platform: { Name: `linux/${goArch}/debian` },
    Components: [
      {
        Name: 'Podman Engine',
        Version: VERSION,
        Details: {
          APIVersion: API_VERSION,
          Arch: goArch,
          BuildTime: built,
          Experimental: 'false',
          GitCommit: '',
          GoVersion: `node ${process.version}`,
          KernelVersion: release(),
          MinAPIVersion: '4.0.0',
          Os: 'linux',
        },
      },
    ],
    Version: VERSION,
    ApiVersion: DOCKER_API_VERSION,
    MinAPIVersion: DOCKER_MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch,
    KernelVersion: release(),
    BuildTime: built,
  };
}


async function info(ctx: ApiContext): Promise<void> {
  const report = await ctx.engine.system.info();
  const env = process.env;
  sendJson(
    ctx.res,
    200,
    dockerInfo(report, {
      machine: machine(),
      serverVersion: VERSION,
      systemTime: new Date().toISOString(),
      operatingSystem: prettyOsName(),
      proxies: { http: env.HTTP_PROXY ?? env.http_proxy ?? '', https: env.HTTPS_PROXY ?? env.https_proxy ?? '', no: env.NO_PROXY ?? env.no_proxy ?? '' },
    }),
  );
}

function prettyOsName(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function diskUsage(ctx: ApiContext): Promise<void> {
  const { engine } = ctx;
  const [df, images, volumes, summaries] = await Promise.all([
    engine.system.df(),
    engine.images.list({ all: true, filters: ['manifest=false'] }),
    engine.volumes.list(),
    engine.containers.list({ all: true }),
  ]);
  const now = Date.now();
  const containers = (await withReports(engine, summaries)).map(([summary, report]) => dockerSummary(summary, report, now));
  sendJson(ctx.res, 200, dockerDiskUsage(df, images, containers, volumes, ctx.apiVersion));
}

/**
 * `POST /auth`: checks the credentials against the registry and stores nothing (the
 * client keeps them and sends them with each pull and push).
 */
async function auth(ctx: ApiContext): Promise<void> {
  const body = await readJsonBody<{ username?: unknown; password?: unknown; serveraddress?: unknown }>(ctx.req);
  for (const field of ['username', 'password', 'serveraddress'] as const) {
    if (body[field] !== undefined && typeof body[field] !== 'string') throw new BadInputError(`${field} must be a string`);
  }
  const username = (body.username as string | undefined) ?? '';
  const password = (body.password as string | undefined) ?? '';
  const address = (body.serveraddress as string | undefined) || 'docker.io';
  if (!username) throw new BadInputError('username is required');
  // `https://index.docker.io/v1/` is how clients name Docker Hub; a URL names its host.
  const key = /^https?:\/\//.test(address) ? new URL(address).host : address.replace(/\/+$/, '');
  const registry = key === 'index.docker.io' ? 'docker.io' : key;
  await ctx.engine.images.checkLogin(registry, { credentials: { username, password }, ...(isLoopbackRegistry(registry) && { tlsVerify: false }) });
  sendJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
}
