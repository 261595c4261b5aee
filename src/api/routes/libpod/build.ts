/**
 * `POST /libpod/build`: a build context as a tar body, built here by the
 * builder with the query's options; the steps stream back as Podman's
 * `{"stream": ...}` lines (tspod adds `{"stderr": ...}` for what a local
 * build prints on stderr, when asked), ending with the image id as Podman's does.
 */
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ApiRouter } from '../../router.js';
import { queryBool, queryInt, queryJsonList, queryShmSize } from '../../http.js';
import { extraHostEntries } from '../../compat/containerCreate.js';
import { jsonLines } from '../../streams.js';
import { LibpodRoutes, queryList, queryString, registryAccessOf } from './common.js';
import { streamError } from './images.js';
import { BUILD_CONTAINERFILE_ENTRY } from '../../libpod/reports.js';
import { BadInputError } from '../../../util/errors.js';
import { hostArchitecture } from '../../../util/platform.js';
import { BuildContext } from '../../../builder/buildContext.js';
import { Builder } from '../../../builder/builder.js';


export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);
  r.post('/build', async (ctx) => {
    const { engine, query, req, res } = ctx;
    const json = (name: string): Record<string, string> => {
      const raw = queryString(query, name);
      if (!raw) return {};
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
      } catch {
        throw new BadInputError(`query parameter ${name} must be a JSON object of strings`);
      }
    };
    // Podman's client sends a JSON list of Containerfile paths (the first is built); tspod's, one name.
    const dockerfileParam = queryString(query, 'dockerfile');
    const dockerfile = dockerfileParam?.startsWith('[') ? (parseList(dockerfileParam)[0] ?? undefined) : dockerfileParam;
    const format = queryString(query, 'format') === 'docker' ? 'docker' : 'oci';
    const pull = queryString(query, 'pullpolicy') ?? (queryBool(query, 'pull') ? 'always' : 'missing');
    if (!['always', 'missing', 'never', 'newer'].includes(pull)) throw new BadInputError(`query parameter pullpolicy: unsupported policy "${pull}"`);
    const buildArgs = new Map(Object.entries(json('buildargs')));
    const labels = json('labels');
    const annotations = Object.fromEntries(
      queryList(query, 'annotation').map((a) => (a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, ''])),
    );
    const context = await BuildContext.fromArchive(req, { containerfileInContext: dockerfile && dockerfile !== BUILD_CONTAINERFILE_ENTRY ? dockerfile : undefined, ignoreFile: queryString(query, 'ignorefile') });
    const out = jsonLines(res);
    try {
      const sent = join(context.root, BUILD_CONTAINERFILE_ENTRY);
      let containerfile: { name: string; content: string };
      if (existsSync(sent)) {
        containerfile = { name: queryString(query, 'containerfilename') || 'Containerfile', content: readFileSync(sent, 'utf8') };
        rmSync(sent);
      } else {
        const name = dockerfile || (existsSync(join(context.root, 'Containerfile')) ? 'Containerfile' : 'Dockerfile');
        const path = join(context.root, name);
        if (!existsSync(path)) throw new BadInputError(`no ${name} in the build context: send one or name it with dockerfile`);
        containerfile = { name, content: readFileSync(path, 'utf8') };
      }
      const info = await engine.system.info();
      const stateDir = join(String(info.store.graphRoot), 'tspod', 'build');
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      // Podman's client reads only stream lines; tspod's asks for stderr apart (`stderr=1`).
      const apart = queryBool(query, 'stderr');
      const stream = (key: 'stream' | 'stderr') =>
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            out.send({ [apart ? key : 'stream']: chunk.toString('utf8') });
            cb();
          },
        });
      const quiet = queryBool(query, 'q') || queryBool(query, 'quiet');
      const jobs = queryInt(query, 'jobs');
      const hostWarnings: string[] = [];
      const extraHosts = extraHostEntries(queryJsonList(query, 'extrahosts'), 'query parameter extrahosts:', hostWarnings);
      for (const warning of hostWarnings) out.send({ [apart ? 'stderr' : 'stream']: `WARN[0000] ${warning}\n` });
      const result = await new Builder(engine, {
        containerfile,
        context,
        tags: queryList(query, 't'),
        target: queryString(query, 'target') || undefined,
        buildArgs,
        noCache: queryBool(query, 'nocache'),
        layers: queryBool(query, 'layers', true),
        squash: queryBool(query, 'squash'),
        squashAll: queryBool(query, 'squashAll'),
        pull: pull as 'missing',
        format,
        labels,
        annotations,
        secrets: new Map(),
        network: queryString(query, 'network') || undefined,
        platform: { os: 'linux', arch: hostArchitecture() },
        stateDir,
        log: quiet ? undefined : (line) => out.send({ stream: `${line}\n` }),
        runOutput: { stdout: stream('stream'), stderr: stream('stderr') },
        warn: (m) => out.send({ [apart ? 'stderr' : 'stream']: `WARN[0000] ${m}\n` }),
        pullOptions: { ...registryAccessOf(ctx), ...(quiet ? {} : { progress: (line: string) => out.send({ [apart ? 'stderr' : 'stream']: `${line}\n` }) }) },
        jobs: jobs === undefined ? 2 : jobs === 0 ? Number.MAX_SAFE_INTEGER : jobs,
        extraHosts,
        shmSize: queryShmSize(query),
      }).build();
      // What a local build prints last, as Podman's service streams it (its client takes the id from it).
      if (!quiet) for (const name of result.names) out.send({ stream: `Successfully tagged ${name}\n` });
      out.send({ stream: `${result.id}\n` });
    } catch (err) {
      out.send(streamError(err));
    } finally {
      context.dispose();
      out.end();
    }
  });
}

function parseList(raw: string): string[] {
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed as string[];
  } catch {
    // fall through
  }
  throw new BadInputError('query parameter dockerfile: a name or a JSON list of names');
}
