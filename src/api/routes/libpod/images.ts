/**
 * Libpod image routes (`/libpod/images/...`). Image references contain
 * slashes, so `/libpod/images/*` takes every per-image path and splits the
 * verb off its end. Pull and push answer Podman's newline-delimited JSON
 * progress stream.
 */
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, sendJson, type ApiContext } from '../../http.js';
import { jsonLines } from '../../streams.js';
import { historyToLibpod } from '../../libpod/reports.js';
import { toWireError } from '../../libpod/errors.js';
import { LibpodRoutes, filtersOf, itemError, noContent, queryList, queryOptionalBool, queryString, registryAccessOf } from './common.js';
import { BadInputError, NoSuchImageError } from '../../../util/errors.js';
import type { ImagePushOptions, ImageRemoveReport, ImageSaveOptions } from '../../../engine/types.js';

const SAVE_FORMATS = ['docker-archive', 'oci-archive'] as const;

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.get('/images/json', async (ctx) => {
    sendJson(ctx.res, 200, await ctx.engine.images.list({ all: queryBool(ctx.query, 'all'), filters: filtersOf(ctx) }));
  });

  r.post('/images/pull', async (ctx) => {
    const { engine, query, res } = ctx;
    const reference = queryString(query, 'reference');
    if (!reference) throw new BadInputError('query parameter reference: the image to pull is required');
    const policy = queryString(query, 'policy') ?? 'always';
    if (!['always', 'missing', 'never', 'newer'].includes(policy)) throw new BadInputError(`query parameter policy: unsupported pull policy "${policy}"`);
    const os = queryString(query, 'os');
    const arch = queryString(query, 'arch');
    const variant = queryString(query, 'variant');
    const access = registryAccessOf(ctx);
    const quiet = queryBool(query, 'quiet');
    const out = jsonLines(res);
    try {
      const { ids } = await engine.images.pull(reference, {
        ...access,
        policy: policy as 'always',
        allTags: queryBool(query, 'allTags'),
        ...(os || arch || variant ? { platform: { os: os || undefined, arch: arch || undefined, variant: variant || undefined } } : {}),
        progress: quiet ? undefined : (line) => void out.send({ stream: line.endsWith('\n') ? line : `${line}\n` }),
      });
      out.send({ images: ids, id: ids[0] ?? '' });
    } catch (err) {
      out.send(streamError(err));
    }
    out.end();
  });

  r.post('/images/load', async ({ engine, req, res }) => {
    const progress: string[] = [];
    const { names } = await engine.images.load({ input: req, progress: (line) => progress.push(line) });
    sendJson(res, 200, { Names: names, Progress: progress });
  });

  r.post('/images/import', async ({ engine, query, req, res }) => {
    const { id } = await engine.images.import({
      input: req,
      reference: queryString(query, 'reference') || undefined,
      changes: queryList(query, 'changes'),
      message: queryString(query, 'message'),
      os: queryString(query, 'os') || undefined,
      arch: queryString(query, 'arch') || undefined,
      variant: queryString(query, 'variant') || undefined,
    });
    sendJson(res, 200, { Id: id });
  });

  r.delete('/images/remove', async ({ engine, query, res }) => {
    const report = await engine.images.remove(queryList(query, 'images'), {
      force: queryBool(query, 'force'),
      all: queryBool(query, 'all'),
      ignore: queryBool(query, 'ignore'),
    });
    sendJson(res, 200, removeReport(report));
  });

  r.post('/images/prune', async (ctx) => {
    const pruned = await ctx.engine.images.prune({ all: queryBool(ctx.query, 'all'), filters: filtersOf(ctx) });
    sendJson(ctx.res, 200, pruned.map((p) => ({ Id: p.id, Size: p.size, Err: null })));
  });

  r.get('/images/search', async (ctx) => {
    const term = queryString(ctx.query, 'term');
    if (!term) throw new BadInputError('query parameter term: a search term is required');
    const results = await ctx.engine.images.search(term, {
      ...registryAccessOf(ctx),
      limit: queryInt(ctx.query, 'limit'),
      listTags: queryBool(ctx.query, 'listTags'),
      filters: filtersOf(ctx),
    });
    sendJson(ctx.res, 200, results);
  });

  r.get('/images/export', async ({ engine, query, res }) => {
    await save(engine, queryList(query, 'references'), query, res);
  });

  r.get('/images/*', (ctx) => perImage(ctx, 'GET'));
  r.post('/images/*', (ctx) => perImage(ctx, 'POST'));
  r.delete('/images/*', (ctx) => perImage(ctx, 'DELETE'));
}

/** `/libpod/images/NAME/VERB` -> [NAME, VERB]; DELETE has no verb. */
function splitImagePath(rest: string, verbs: string[]): [string, string] {
  for (const verb of verbs) {
    if (rest.endsWith(`/${verb}`)) return [rest.slice(0, -verb.length - 1), verb];
  }
  return [rest, ''];
}

async function perImage(ctx: ApiContext, method: 'GET' | 'POST' | 'DELETE'): Promise<void> {
  const { engine, query, res } = ctx;
  const rest = ctx.params['*'] ?? '';
  if (method === 'DELETE') {
    const report = await engine.images.remove([rest], { force: queryBool(query, 'force'), ignore: queryBool(query, 'ignore') });
    if (report.errors.length === 1 && report.deleted.length === 0 && report.untagged.length === 0) throw report.errors[0]!.error;
    sendJson(res, 200, removeReport(report));
    return;
  }
  const verbs = method === 'GET' ? ['json', 'exists', 'history', 'get', 'tree', 'changes'] : ['push', 'tag', 'untag'];
  const [name, verb] = splitImagePath(rest, verbs);
  if (!name || !verb) throw new BadInputError(`unknown image route: ${method} /libpod/images/${rest}`);
  switch (verb) {
    case 'json': {
      const [report] = await engine.images.inspect([name]);
      if (!report || report instanceof Error) throw report ?? new NoSuchImageError(`${name}: image not known`);
      sendJson(res, 200, report);
      return;
    }
    case 'exists':
      if (!(await engine.images.exists(name))) throw new NoSuchImageError(`${name}: image not known`);
      noContent(res);
      return;
    case 'history':
      sendJson(res, 200, (await engine.images.history(name)).map(historyToLibpod));
      return;
    case 'get':
      await save(engine, [name], query, res);
      return;
    case 'tree':
      sendJson(res, 200, await engine.images.tree(name));
      return;
    case 'changes': {
      const changes = await engine.images.diff(name);
      sendJson(res, 200, changes.map((c) => ({ Path: c.path, Kind: c.kind === 'C' ? 0 : c.kind === 'A' ? 1 : 2 })));
      return;
    }
    case 'tag':
    case 'untag': {
      const repo = queryString(query, 'repo');
      const tag = queryString(query, 'tag');
      if (verb === 'tag') {
        if (!repo) throw new BadInputError('query parameter repo: the new name is required');
        await engine.images.tag(name, [tag ? `${repo}:${tag}` : repo]);
        res.writeHead(201);
        res.end();
      } else {
        await engine.images.untag(name, repo ? [tag ? `${repo}:${tag}` : repo] : []);
        res.writeHead(201);
        res.end();
      }
      return;
    }
    case 'push': {
      const format = queryString(query, 'format');
      const compression = queryString(query, 'compressionFormat');
      const opts: ImagePushOptions = {
        ...registryAccessOf(ctx),
        ...(format === 'oci' || format === 'v2s2' ? { format } : {}),
        ...(compression === 'gzip' || compression === 'zstd' ? { compressionFormat: compression } : {}),
        ...(queryOptionalBool(query, 'compress') !== undefined ? { compress: queryBool(query, 'compress') } : {}),
        removeSignatures: queryBool(query, 'removeSignatures'),
      };
      const quiet = queryBool(query, 'quiet');
      const out = jsonLines(res);
      try {
        const { digest } = await engine.images.push(name, queryString(query, 'destination') || undefined, {
          ...opts,
          progress: quiet ? undefined : (line) => void out.send({ stream: line.endsWith('\n') ? line : `${line}\n` }),
        });
        out.send({ manifestdigest: digest });
      } catch (err) {
        out.send(streamError(err));
      }
      out.end();
      return;
    }
  }
}

/** An error inside a JSON progress stream: Podman's `{"error": ...}` plus the wire error's details. */
export function streamError(err: unknown): Record<string, unknown> {
  const wire = toWireError(err);
  return { error: wire.message, errorcode: wire.errorcode, exitcode: wire.exitcode, response: wire.response };
}

/** Podman's LibpodImagesRemoveReport, with each error's details for typed errors on the client. */
export function removeReport(report: ImageRemoveReport): Record<string, unknown> {
  return {
    Deleted: report.deleted,
    Untagged: report.untagged,
    Errors: report.errors.map((e) => e.error.message),
    ExitCode: report.errors.length ? 125 : 0,
    ErrorDetails: report.errors.map((e) => ({ Name: e.name, Err: itemError(e.error) })),
  };
}

async function save(engine: ApiContext['engine'], names: string[], query: URLSearchParams, res: ApiContext['res']): Promise<void> {
  if (names.length === 0) throw new BadInputError('query parameter references: name at least one image');
  const format = queryString(query, 'format') ?? 'docker-archive';
  if (!(SAVE_FORMATS as readonly string[]).includes(format)) {
    throw new BadInputError(`format "${format}" cannot be sent over the API yet: use docker-archive or oci-archive`);
  }
  // Missing images must be a 404, not a broken archive: look them up before the 200 goes out.
  for (const name of names) if (!(await engine.images.exists(name))) throw new NoSuchImageError(`${name}: image not known`);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  const opts: ImageSaveOptions = { format: format as ImageSaveOptions['format'], output: { stream: res }, additionalTags: queryList(query, 'additionalTags') };
  await engine.images.save(names, opts);
  res.end();
}
