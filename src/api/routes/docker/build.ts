/**
 * `POST /build`: a tar (or compressed tar) context in the body, built with the
 * classic builder's output, which the docker CLI reads when the server says
 * `Builder-Version: 1`: `{"stream":"Step 1/3 : FROM ..."}` lines, the RUN
 * output, then `{"aux":{"ID":"sha256:..."}}`, `Successfully built` and
 * `Successfully tagged`.
 */
import { Writable } from 'node:stream';
import type { ApiRouter } from '../../router.js';
import { queryBool, queryJsonList, queryShmSize, type ApiContext } from '../../http.js';
import { progressStream } from '../../progressStream.js';
import { decodeRegistryConfig, dockerId, isLoopbackRegistry, registryCredentials } from '../../compat/images.js';
import { classicBuildLine, LayerProgress } from '../../compat/progress.js';
import { extraHostEntries } from '../../compat/containerCreate.js';
import type { Engine, ImagesEngine, ImagePullOptions } from '../../../engine/types.js';
import { BadInputError } from '../../../util/errors.js';
import { hostArchitecture } from '../../../util/platform.js';
import { parseReference } from '../../../image/reference.js';

export function register(router: ApiRouter): void {
  router.post('/build', build);
  router.post('/build/prune', async ({ res }) => {
    // The classic builder keeps no cache apart from images; nothing to remove.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ CachesDeleted: [], SpaceReclaimed: 0 }));
  });
}

/** A JSON object of strings in a query parameter (`buildargs`, `labels`); null values are left out. */
function queryStringMap(query: URLSearchParams, name: string): Record<string, string> {
  const raw = query.get(name);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BadInputError(`query parameter ${name}: malformed JSON: ${raw}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadInputError(`query parameter ${name} must be a JSON object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') throw new BadInputError(`query parameter ${name}: the value of "${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

function pullPolicy(value: string | null): 'always' | 'missing' {
  if (value === null || value === '' || value === '0' || value.toLowerCase() === 'false') return 'missing';
  return 'always';
}

/** Base-image pulls with the credentials X-Registry-Config holds for their registry; registries on this machine without TLS verification. */
function imagesWithBuildAuth(images: ImagesEngine, registryConfig: ReturnType<typeof decodeRegistryConfig>): ImagesEngine {
  const pull = (reference: string, opts: ImagePullOptions) => {
    let domain = 'docker.io';
    try {
      domain = parseReference(reference).domain ?? 'docker.io';
    } catch {
      // the engine reports the bad name
    }
    const auth = registryConfig[domain] ?? (domain === 'docker.io' ? registryConfig['index.docker.io'] : undefined);
    return images.pull(reference, {
      ...opts,
      ...(registryCredentials(auth) && { credentials: registryCredentials(auth) }),
      ...(isLoopbackRegistry(domain) && { tlsVerify: false }),
    });
  };
  return new Proxy(images, {
    get(target, prop) {
      if (prop === 'pull') return pull;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function build(ctx: ApiContext): Promise<void> {
  const { query } = ctx;
  if (query.get('remote')) throw new BadInputError('query parameter remote: remote build contexts are not supported: send the context as a tar archive in the body');
  const platform = query.get('platform');
  if (platform) {
    const [os, arch] = platform.split('/');
    if (platform.includes(',') || (os && os !== 'linux') || (arch && arch !== hostArchitecture())) {
      throw new BadInputError(`query parameter platform: cannot build for ${platform} on this linux/${hostArchitecture()} host: only the host platform is supported`);
    }
  }
  const quiet = queryBool(query, 'q');
  const warnings: string[] = [];
  const extraHosts = extraHostEntries(queryJsonList(query, 'extrahosts'), 'query parameter extrahosts:', warnings);
  // Accepted, as Podman does for Docker clients: the classic builder keeps no cache but its
  // own intermediate images, and removes its intermediate containers whatever rm/forcerm say.
  queryJsonList(query, 'cachefrom');
  const tags = query.getAll('t').filter(Boolean);
  const stream = progressStream(ctx.res);
  const say = (text: string) => stream.send({ stream: text });
  if (!quiet) for (const warning of warnings) say(`[Warning] ${warning}\n`);
  const output = () =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!quiet) say(chunk.toString('utf8'));
        callback();
      },
    });
  const pulls = new LayerProgress('pull', stream.send);
  const engine: Engine = { ...ctx.engine, images: imagesWithBuildAuth(ctx.engine.images, decodeRegistryConfig(headerValue(ctx.req.headers['x-registry-config']))) };
  try {
    const { buildArchiveWithDefaults } = await import('../../../builder/buildWithDefaults.js');
    const result = await buildArchiveWithDefaults(engine, ctx.req, {
      containerfile: query.get('dockerfile') || 'Dockerfile',
      tags,
      target: query.get('target') || undefined,
      buildArgs: queryStringMap(query, 'buildargs'),
      labels: queryStringMap(query, 'labels'),
      noCache: queryBool(query, 'nocache'),
      pull: pullPolicy(query.get('pull')),
      network: networkMode(query.get('networkmode')),
      extraHosts,
      shmSize: queryShmSize(query),
      log: quiet
        ? undefined
        : (line) => {
            const text = classicBuildLine(line);
            if (text !== undefined) say(text);
          },
      runOutput: { stdout: output(), stderr: output() },
      warn: (message) => {
        if (!quiet) say(`[Warning] ${message}\n`);
      },
      pullOptions: quiet ? {} : { progress: pulls.line, blobProgress: pulls.bytes },
    });
    const id = dockerId(result.id);
    stream.send({ aux: { ID: id } });
    if (quiet) say(`${id}\n`);
    else {
      say(`Successfully built ${result.id.slice(0, 12)}\n`);
      for (const tag of tags) say(`Successfully tagged ${withDefaultTag(tag)}\n`);
    }
    stream.end();
  } catch (e) {
    stream.end(e);
  }
}

/** A name as the client gave it, with `:latest` when it has no tag (what Docker prints). */
function withDefaultTag(name: string): string {
  const slash = name.lastIndexOf('/');
  return name.lastIndexOf(':') > slash || name.includes('@') ? name : `${name}:latest`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `networkmode`: Docker's `default` is the engine's default network. */
function networkMode(value: string | null): string | undefined {
  if (!value || value === 'default') return undefined;
  return value;
}
