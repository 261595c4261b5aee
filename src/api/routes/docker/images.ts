/**
 * Docker's image routes: list, pull (and import), push, tag, inspect,
 * history, remove, prune, search, save (get), load and commit. Image names may
 * hold slashes, so `/images/*` routes split the action off the end.
 */
import type { ApiRouter } from '../../router.js';
import { NotFoundRouteError, queryBool, queryFilters, queryInt, readJsonBody, sendEmpty, sendJson, sendJsonText, type ApiContext } from '../../http.js';
import { progressStream } from '../../progressStream.js';
import {
  decodeRegistryAuth,
  registryCredentials,
  dockerId,
  familiarReference,
  imageDeleteResponse,
  imageHistory,
  imageInspect,
  imageListFilters,
  imageSummary,
  isLoopbackRegistry,
  keepMatchingReferences,
  searchResult,
  versionBefore,
} from '../../compat/images.js';
import { LayerProgress } from '../../compat/progress.js';
import type { ImagePullOptions, ImageSummary, RegistryAccessOptions } from '../../../engine/types.js';
import { BadInputError, NoSuchImageError } from '../../../util/errors.js';
import { parseReference } from '../../../image/reference.js';

export function register(router: ApiRouter): void {
  router.get('/images/json', listImages);
  router.post('/images/create', createImage);
  router.post('/images/prune', pruneImages);
  router.get('/images/search', searchImages);
  router.get('/images/get', (ctx) => saveImages(ctx, ctx.query.getAll('names')));
  router.post('/images/load', loadImages);
  router.post('/commit', commitContainer);
  router.get('/images/*', (ctx) => {
    const { name, action } = splitAction(ctx, ['json', 'history', 'get']);
    if (action === 'json') return inspectImage(ctx, name);
    if (action === 'history') return historyOfImage(ctx, name);
    return saveImages(ctx, [name]);
  });
  router.post('/images/*', (ctx) => {
    const { name, action } = splitAction(ctx, ['push', 'tag']);
    return action === 'push' ? pushImage(ctx, name) : tagImage(ctx, name);
  });
  router.delete('/images/*', (ctx) => removeImage(ctx, ctx.params['*'] ?? ''));
}

/** `/images/NAME/ACTION` where NAME may contain slashes; an unknown action is an unknown route. */
function splitAction(ctx: ApiContext, actions: string[]): { name: string; action: string } {
  const rest = ctx.params['*'] ?? '';
  const slash = rest.lastIndexOf('/');
  const action = rest.slice(slash + 1);
  if (slash <= 0 || !actions.includes(action)) throw new NotFoundRouteError(`page not found: ${ctx.req.method} /images/${rest}`);
  return { name: rest.slice(0, slash), action };
}

// ------------------------------------------------------------------ list

async function listImages(ctx: ApiContext): Promise<void> {
  const all = queryBool(ctx.query, 'all');
  const filters = imageListFilters(queryFilters(ctx.query));
  // API < 1.25 named one reference in `filter`.
  const legacy = ctx.query.get('filter');
  if (legacy) filters.push(`reference=${legacy}`);
  const summaries = await ctx.engine.images.list({ all, filters: [...filters, 'manifest=false'] });
  // The engine gives the same array until something changes: its JSON is made once per API version.
  let rendered = renderedLists.get(summaries);
  if (!rendered) renderedLists.set(summaries, (rendered = new Map()));
  // What differs between API versions: the <none> placeholders before 1.43, VirtualSize before 1.44.
  const variant = versionBefore(ctx.apiVersion, '1.43') ? 'old' : versionBefore(ctx.apiVersion, '1.44') ? '1.43' : 'current';
  let body = rendered.get(variant);
  if (!body) {
    // Docker hides an untagged image that is another's parent unless asked for all, filters or not.
    const shown = all ? summaries : summaries.filter((s) => !s.Intermediate);
    const references = filters.filter((f) => f.startsWith('reference=')).map((f) => f.slice('reference='.length));
    body = Buffer.from(JSON.stringify(shown.map((s) => keepMatchingReferences(imageSummary(s, ctx.apiVersion), references))));
    rendered.set(variant, body);
  }
  sendJsonText(ctx.res, 200, body);
}

const renderedLists = new WeakMap<readonly ImageSummary[], Map<string, Buffer>>();

// ------------------------------------------------------------ registries

/** A registry host on this machine is reached without TLS verification, as Docker treats 127.0.0.0/8 and localhost. */
function registryAccess(reference: string, authHeader: string | string[] | undefined): RegistryAccessOptions {
  const access: RegistryAccessOptions = {};
  let domain: string | undefined;
  try {
    domain = parseReference(reference).domain;
  } catch {
    // the engine reports the bad name
  }
  if (domain && isLoopbackRegistry(domain)) access.tlsVerify = false;
  const auth = decodeRegistryAuth(Array.isArray(authHeader) ? authHeader[0] : authHeader);
  const credentials = registryCredentials(auth);
  if (credentials) access.credentials = credentials;
  return access;
}

/** The registry and repository path a name means to Docker (short names are Docker Hub's, official ones under library/). */
function remoteName(name: string): { domain: string; path: string } {
  const ref = parseReference(name);
  if (ref.domain && ref.domain !== 'docker.io' && ref.domain !== 'index.docker.io') return { domain: ref.domain, path: ref.path };
  return { domain: 'docker.io', path: ref.path.includes('/') ? ref.path : `library/${ref.path}` };
}

/** `fromImage` and `tag` as one reference; a digest may come as the tag. An empty tag with none in the name: every tag. */
function pullReference(fromImage: string, tag: string): { reference: string; allTags: boolean } {
  let ref;
  try {
    ref = parseReference(fromImage);
  } catch (e) {
    throw new BadInputError(`invalid fromImage "${fromImage}": ${(e as Error).message}`);
  }
  const name = (ref.domain ? `${ref.domain}/` : '') + ref.path;
  if (tag) return { reference: tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`, allTags: false };
  if (ref.tag === undefined && ref.digest === undefined) return { reference: name, allTags: true };
  return { reference: fromImage, allTags: false };
}

function parsePlatform(value: string | null): ImagePullOptions['platform'] {
  if (!value) return undefined;
  const [os, arch, variant] = value.split('/');
  return { os: os || undefined, arch: arch || undefined, variant: variant || undefined };
}

async function createImage(ctx: ApiContext): Promise<void> {
  const { query } = ctx;
  if (query.get('fromSrc') !== null) return importImage(ctx);
  const fromImage = query.get('fromImage');
  if (!fromImage) throw new BadInputError('query parameter fromImage (or fromSrc) is required');
  const { reference, allTags } = pullReference(fromImage, query.get('tag') ?? '');
  const ref = parseReference(reference);
  const repository = familiarReference((ref.domain ? `${ref.domain}/` : '') + ref.path);
  const [before] = await ctx.engine.images.inspect([reference]);
  const previousId = before instanceof Error ? undefined : before?.Id;
  const stream = progressStream(ctx.res);
  const layers = new LayerProgress('pull', stream.send);
  // Announced once the registry answered with a manifest, so that a missing image is still an HTTP error.
  let announced = false;
  const announce = () => {
    if (!announced) stream.send({ status: `Pulling from ${remoteName(reference).path}`, id: allTags ? repository : ref.digest ?? ref.tag ?? 'latest' });
    announced = true;
  };
  try {
    const { ids } = await ctx.engine.images.pull(reference, {
      ...registryAccess(reference, ctx.req.headers['x-registry-auth']),
      platform: parsePlatform(query.get('platform')),
      allTags,
      policy: 'always',
      progress: (line) => {
        if (line === 'Getting image source signatures') announce();
        layers.line(line);
      },
      blobProgress: layers.bytes,
    });
    announce();
    const [pulled] = await ctx.engine.images.inspect(ids.slice(0, 1));
    if (pulled && !(pulled instanceof Error) && pulled.Digest) stream.send({ status: `Digest: ${pulled.Digest}` });
    const upToDate = !allTags && ids[0] === previousId && !layers.copied;
    const named = allTags ? repository : familiarReference(ref.tag || ref.digest ? reference : `${reference}:latest`);
    stream.send({ status: upToDate ? `Status: Image is up to date for ${named}` : `Status: Downloaded newer image for ${named}` });
    stream.end();
  } catch (e) {
    stream.end(e);
  }
}

/** `fromSrc=-`: a root filesystem tarball in the body becomes a one-layer image. */
async function importImage(ctx: ApiContext): Promise<void> {
  const { query } = ctx;
  if (query.get('fromSrc') !== '-') throw new BadInputError('query parameter fromSrc: only "-" (the request body) is supported: download the archive and send it as the body');
  const repo = query.get('repo') ?? '';
  const tag = query.get('tag') ?? '';
  const platform = parsePlatform(query.get('platform'));
  const { id } = await ctx.engine.images.import({
    input: ctx.req,
    reference: repo ? (tag ? `${repo}:${tag}` : repo) : undefined,
    changes: ctx.query.getAll('changes'),
    message: query.get('message') ?? undefined,
    os: platform?.os,
    arch: platform?.arch,
    variant: platform?.variant,
  });
  const stream = progressStream(ctx.res);
  stream.send({ status: dockerId(id) });
  stream.end();
}

async function pushImage(ctx: ApiContext, name: string): Promise<void> {
  const tag = ctx.query.get('tag') ?? '';
  let repository: string;
  try {
    const ref = parseReference(name);
    repository = (ref.domain ? `${ref.domain}/` : '') + ref.path;
    if (!tag && ref.tag) return pushTags(ctx, repository, [ref.tag]);
  } catch (e) {
    throw new BadInputError(`invalid image name "${name}": ${(e as Error).message}`);
  }
  if (tag) return pushTags(ctx, repository, [tag]);
  // No tag: every local tag of the repository, as Docker pushes them.
  const wanted = `${repository}:`;
  const tags = (await ctx.engine.images.list({ filters: ['manifest=false'] }))
    .flatMap((s) => s.RepoTags)
    .flatMap((t) => (t.startsWith(wanted) ? [t.slice(wanted.length)] : familiarReference(t).startsWith(wanted) ? [familiarReference(t).slice(wanted.length)] : []));
  if (tags.length === 0) throw new NoSuchImageError(`An image does not exist locally with the tag: ${familiarReference(repository)}`);
  return pushTags(ctx, repository, [...new Set(tags)].sort());
}

async function pushTags(ctx: ApiContext, repository: string, tags: string[]): Promise<void> {
  for (const tag of tags) {
    // The local image must exist before the stream starts: a missing one is a 404.
    const [found] = await ctx.engine.images.inspect([`${repository}:${tag}`]);
    if (found instanceof Error) throw found;
  }
  const stream = progressStream(ctx.res);
  const access = registryAccess(repository, ctx.req.headers['x-registry-auth']);
  try {
    const remote = remoteName(repository);
    stream.send({ status: `The push refers to repository [${remote.domain}/${remote.path}]` });
    for (const tag of tags) {
      const layers = new LayerProgress('push', stream.send);
      const name = `${repository}:${tag}`;
      const { digest, size } = await ctx.engine.images.push(name, `docker://${name}`, { ...access, progress: layers.line, blobProgress: layers.bytes });
      stream.send({ status: `${tag}: digest: ${digest} size: ${size ?? 0}` });
      stream.send({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: size ?? 0 } });
    }
    stream.end();
  } catch (e) {
    stream.end(e);
  }
}

async function searchImages(ctx: ApiContext): Promise<void> {
  const term = ctx.query.get('term');
  if (!term) throw new BadInputError('query parameter term is required');
  const results = await ctx.engine.images.search(term, {
    ...registryAccess(term, ctx.req.headers['x-registry-auth']),
    limit: queryInt(ctx.query, 'limit'),
    filters: queryFilters(ctx.query),
  });
  sendJson(ctx.res, 200, results.map(searchResult));
}

// ----------------------------------------------------------------- local

async function tagImage(ctx: ApiContext, name: string): Promise<void> {
  const repo = ctx.query.get('repo');
  if (!repo) throw new BadInputError('query parameter repo is required');
  const tag = ctx.query.get('tag') || 'latest';
  await ctx.engine.images.tag(name, [`${repo}:${tag}`]);
  sendEmpty(ctx.res, 201);
}

async function inspectImage(ctx: ApiContext, name: string): Promise<void> {
  const [report] = await ctx.engine.images.inspect([name]);
  if (!report || report instanceof Error) throw report ?? new NoSuchImageError(`No such image: ${name}`);
  sendJson(ctx.res, 200, imageInspect(report, ctx.apiVersion));
}

async function historyOfImage(ctx: ApiContext, name: string): Promise<void> {
  sendJson(ctx.res, 200, imageHistory(await ctx.engine.images.history(name)));
}

async function removeImage(ctx: ApiContext, name: string): Promise<void> {
  const report = await ctx.engine.images.remove([name], { force: queryBool(ctx.query, 'force') });
  if (report.errors[0]) throw report.errors[0].error;
  sendJson(ctx.res, 200, imageDeleteResponse(report));
}

/** Docker prunes dangling images unless `dangling=false` asks for every unused one. */
async function pruneImages(ctx: ApiContext): Promise<void> {
  const filters = imageListFilters(queryFilters(ctx.query));
  const all = filters.includes('dangling=false');
  const pruned = await ctx.engine.images.prune({ all, filters: filters.filter((f) => !f.startsWith('dangling=')) });
  sendJson(ctx.res, 200, {
    ImagesDeleted: pruned.length ? pruned.map((p) => ({ Deleted: dockerId(p.id) })) : null,
    SpaceReclaimed: pruned.reduce((sum, p) => sum + p.size, 0),
  });
}

/** A docker-archive of the images named; a missing one is a 404 before any byte is sent. */
async function saveImages(ctx: ApiContext, names: string[]): Promise<void> {
  if (names.length === 0) throw new BadInputError('query parameter names is required');
  for (const report of await ctx.engine.images.inspect(names)) if (report instanceof Error) throw report;
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await ctx.engine.images.save(names, { format: 'docker-archive', output: { stream: ctx.res } });
  ctx.res.end();
}

async function loadImages(ctx: ApiContext): Promise<void> {
  const { names } = await ctx.engine.images.load({ input: ctx.req });
  const stream = progressStream(ctx.res);
  for (const name of names) {
    stream.send({ stream: name.startsWith('sha256:') ? `Loaded image ID: ${name}\n` : `Loaded image: ${familiarReference(name)}\n` });
  }
  stream.end();
}

async function commitContainer(ctx: ApiContext): Promise<void> {
  const { query } = ctx;
  const container = query.get('container');
  if (!container) throw new BadInputError('query parameter container is required');
  // The body may hold a container config; Docker applies it, the `changes` carry the same here.
  await readJsonBody(ctx.req);
  const repo = query.get('repo') ?? '';
  const tag = query.get('tag') ?? '';
  const { id } = await ctx.engine.containers.commit(container, {
    reference: repo ? (tag ? `${repo}:${tag}` : repo) : undefined,
    changes: query.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean),
    message: query.get('comment') ?? undefined,
    author: query.get('author') ?? undefined,
    pause: queryBool(query, 'pause', true),
    format: 'docker',
  });
  sendJson(ctx.res, 201, { Id: dockerId(id) });
}
