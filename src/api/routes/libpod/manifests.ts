/** Libpod manifest list routes, Podman 4's (v4) shapes: create, modify (add/annotate/remove), inspect, exists, push, delete. */
import type { ApiRouter } from '../../router.js';
import { queryBool, readJsonBody, sendJson, type ApiContext } from '../../http.js';
import { FieldReader } from '../../libpod/specgen.js';
import { LibpodRoutes, noContent, queryList, queryString, registryAccessOf } from './common.js';
import { removeReport } from './images.js';
import { BadInputError, NoSuchImageError } from '../../../util/errors.js';

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);
  r.get('/manifests/*', (ctx) => manifestGet(ctx));
  r.post('/manifests/*', (ctx) => manifestPost(ctx));
  r.put('/manifests/*', (ctx) => manifestModify(ctx));
  r.delete('/manifests/*', async ({ engine, params, res }) => {
    const report = await engine.manifests.rm([params['*'] ?? '']);
    if (report.errors.length === 1) throw report.errors[0]!.error;
    sendJson(res, 200, removeReport(report));
  });
}

async function manifestGet(ctx: ApiContext): Promise<void> {
  const { engine, res } = ctx;
  const rest = ctx.params['*'] ?? '';
  if (rest.endsWith('/exists')) {
    const name = rest.slice(0, -'/exists'.length);
    if (!(await engine.manifests.exists(name))) throw new NoSuchImageError(`${name}: image not known`);
    noContent(res);
    return;
  }
  if (!rest.endsWith('/json')) throw new BadInputError(`unknown manifest route: GET /libpod/manifests/${rest}`);
  const { json, warning } = await engine.manifests.inspect(rest.slice(0, -'/json'.length), registryAccessOf(ctx));
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) };
  // The engine's text is sent as it is, so a remote `manifest inspect` prints the same bytes.
  if (warning) headers['X-Tspod-Warning'] = encodeURIComponent(warning);
  res.writeHead(200, headers);
  res.end(json);
}

async function manifestPost(ctx: ApiContext): Promise<void> {
  const { engine, query, res } = ctx;
  const rest = ctx.params['*'] ?? '';
  const push = /^(.*?)\/registry\/(.+)$/.exec(rest);
  if (push) {
    const format = queryString(query, 'format');
    const { digest } = await engine.manifests.push(push[1]!, push[2]!, {
      ...registryAccessOf(ctx),
      all: queryBool(query, 'all', true),
      ...(format === 'oci' || format === 'v2s2' ? { format } : {}),
      removeSignatures: queryBool(query, 'removeSignatures'),
    });
    sendJson(res, 200, { Id: digest });
    return;
  }
  const id = await engine.manifests.create(rest, queryList(query, 'images'), {
    ...registryAccessOf(ctx),
    all: queryBool(query, 'all'),
    amend: queryBool(query, 'amend'),
  });
  sendJson(res, 201, { Id: id });
}

async function manifestModify(ctx: ApiContext): Promise<void> {
  const { engine, req, res } = ctx;
  const list = ctx.params['*'] ?? '';
  const body = new FieldReader(await readJsonBody(req));
  const operation = (body.string('operation') ?? 'update').toLowerCase();
  const images = body.strings('images') ?? [];
  const annotations = Object.entries(body.stringMap('annotations') ?? body.stringMap('annotation') ?? {}).map(([k, v]) => `${k}=${v}`);
  const platform = {
    arch: body.string('arch') || undefined,
    os: body.string('os') || undefined,
    variant: body.string('variant') || undefined,
    osVersion: body.string('os_version') || undefined,
    features: body.strings('features'),
    ...(annotations.length ? { annotations } : {}),
  };
  let id: string;
  switch (operation) {
    case 'update':
      if (!images.length) throw new BadInputError('field images: name the images to add');
      id = await engine.manifests.add(list, images, { ...registryAccessOf(ctx), all: body.bool('all'), ...platform });
      break;
    case 'annotate':
      if (images.length !== 1) throw new BadInputError('field images: name the one instance digest to annotate');
      id = await engine.manifests.annotate(list, images[0]!, { ...platform, osFeatures: body.strings('os_features') });
      break;
    case 'remove':
      if (images.length !== 1) throw new BadInputError('field images: name the one instance digest to remove');
      id = await engine.manifests.removeInstance(list, images[0]!);
      break;
    default:
      throw new BadInputError(`field operation: unknown operation "${operation}": use update, annotate or remove`);
  }
  sendJson(res, 200, { Id: id, Images: images, Files: null, Words: null });
}
