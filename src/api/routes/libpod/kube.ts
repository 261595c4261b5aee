/** Libpod generate and kube routes: generate kube/systemd, kube play and kube down. */
import type { IncomingMessage } from 'node:http';
import { resolve } from 'node:path';
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, sendJson } from '../../http.js';
import { LibpodRoutes, queryList, queryString, readRawBody, registryAccessOf } from './common.js';
import { BadInputError, InvalidArgumentError } from '../../../util/errors.js';
import { generateKube, KUBE_KINDS, type KubeKind } from '../../../kube/generate.js';
import { playKube } from '../../../kube/play.js';
import { kubeDown } from '../../../kube/down.js';
import { generateUnits } from '../../../systemd/units.js';
import { RESTART_POLICIES } from '../../../systemd/generate.js';
import { VERSION } from '../../../version.js';
import type { ContainerSpec } from '../../../engine/spec/containerSpec.js';

const MAX_YAML = 8 * 1024 * 1024;

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  for (const path of ['/generate/kube', '/kube/generate']) {
    r.get(path, async ({ engine, query, res }) => {
      const type = queryString(query, 'type') ?? 'pod';
      if (!(KUBE_KINDS as readonly string[]).includes(type)) throw new BadInputError(`query parameter type: unsupported kind "${type}": use ${KUBE_KINDS.join(', ')}`);
      const yaml = await generateKube(engine, queryList(query, 'names'), {
        service: queryBool(query, 'service'),
        type: type as KubeKind,
        replicas: queryInt(query, 'replicas'),
        podmanOnly: queryBool(query, 'podmanOnly'),
        version: VERSION,
        now: new Date(),
      });
      res.writeHead(200, { 'Content-Type': 'text/vnd.yaml', 'Content-Length': Buffer.byteLength(yaml) });
      res.end(yaml);
    });
  }

  r.get('/generate/*', async ({ engine, params, query, res }) => {
    const rest = params['*'] ?? '';
    if (!rest.endsWith('/systemd')) throw new BadInputError(`unknown generate route: /libpod/generate/${rest}`);
    const name = rest.slice(0, -'/systemd'.length);
    if (queryBool(query, 'new')) throw new InvalidArgumentError('generate systemd --new is not available through the API yet: run it on the server');
    const restartPolicy = queryString(query, 'restartPolicy') ?? 'on-failure';
    if (!RESTART_POLICIES.includes(restartPolicy)) throw new BadInputError(`query parameter restartPolicy: ${restartPolicy} is not a valid restart policy`);
    const units = await generateUnits(engine, name, {
      new: false,
      useName: queryBool(query, 'useName'),
      restartPolicy,
      restartSec: queryInt(query, 'restartSec'),
      stopTimeout: queryInt(query, 'stopTimeout'),
      startTimeout: queryInt(query, 'startTimeout'),
      noHeader: queryBool(query, 'noHeader'),
      containerPrefix: queryString(query, 'containerPrefix') ?? 'container',
      podPrefix: queryString(query, 'podPrefix') ?? 'pod',
      separator: queryString(query, 'separator') ?? '-',
      after: queryList(query, 'after'),
      wants: queryList(query, 'wants'),
      requires: queryList(query, 'requires'),
      env: query.getAll('additionalEnvVariables'),
      template: false,
      executable: resolve(process.argv[1] ?? 'tspod', '..', 'tspod'),
      globalArgs: [],
      runroot: process.getuid?.() === 0 ? '/run/containers/storage' : '%t/containers',
      version: VERSION,
      now: new Date(),
      takesValue: () => false,
      podTakesValue: () => false,
    });
    sendJson(res, 200, Object.fromEntries(units.map((u) => [u.name, u.text])));
  });

  for (const path of ['/play/kube', '/kube/play']) {
    r.post(path, async (ctx) => {
      const { engine, query, req, res } = ctx;
      const text = await readText(req);
      const logDriver = queryString(query, 'logDriver');
      const networks = queryList(query, 'network');
      const report = await playKube(engine, text, 'kube YAML', {
        start: queryBool(query, 'start', true),
        ...(logDriver ? { logDriver: (logDriver === 'json-file' ? 'k8s-file' : logDriver) as ContainerSpec['logDriver'] } : {}),
        ...(networks.length === 1 && ['none', 'host'].includes(networks[0]!) ? { network: { network: networks[0] } } : {}),
        ...(networks.length && !['none', 'host'].includes(networks[0]!) ? { network: { network: 'bridge', networks: Object.fromEntries(networks.map((n) => [n, {}])) } } : {}),
        noHosts: queryBool(query, 'noHosts'),
        registry: registryAccessOf(ctx),
        cwd: process.cwd(),
      });
      sendJson(res, 200, {
        Pods: report.pods.map((p) => ({ ID: p.id, Containers: p.containers, InitContainers: null, Logs: null, ContainerErrors: null })),
        Volumes: report.volumes.map((name) => ({ Name: name })),
        Secrets: report.secrets.map((id) => ({ ID: id })),
        ExitCode: null,
      });
    });
    r.delete(path, async ({ engine, query, req, res }) => {
      const report = await kubeDown(engine, await readText(req), 'kube YAML', { force: queryBool(query, 'force') });
      sendJson(res, 200, {
        StopReport: report.stopped.map((id) => ({ Id: id, Err: null })),
        RmReport: report.removed.map((id) => ({ Id: id, Err: null })),
        SecretRmReport: report.secrets.map((id) => ({ ID: id, Err: null })),
        VolumeRmReport: report.volumes.map((name) => ({ Id: name, Err: null })),
        Errors: report.errors,
      });
    });
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req, MAX_YAML, 'kube YAML')).toString('utf8');
}
