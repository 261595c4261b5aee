/** `_ping`, `version` and `info`: what every Docker client asks first. */
import { release } from 'node:os';
import type { ApiRouter } from '../../router.js';
import { sendJson } from '../../http.js';
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

