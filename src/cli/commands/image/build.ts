import type { Command } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { hostArchitecture } from '../../../util/platform.js';
import { parseTlsVerify, registryAccess, type RegistryAccessFlags } from './pullFlags.js';

interface Options extends RegistryAccessFlags {
  tag?: string[];
  file?: string[];
  target?: string;
  buildArg?: string[];
  buildArgFile?: string[];
  cache?: boolean;
  layers?: boolean;
  squash?: boolean;
  squashAll?: boolean;
  pull?: string | boolean;
  pullAlways?: boolean;
  pullNever?: boolean;
  format?: string;
  label?: string[];
  annotation?: string[];
  iidfile?: string;
  secret?: string[];
  network?: string;
  quiet?: boolean;
  rm?: boolean;
  forceRm?: boolean;
  output?: string;
  platform?: string[];
  arch?: string;
  os?: string;
  variant?: string;
  ignorefile?: string;
  jobs?: string;
}

const bool = (v: string) => v !== 'false';

export default defineCommand<Options>({
  usage: '[options] [CONTEXT]',
  description: 'Builds an image from a Containerfile (or Dockerfile) and a context directory, a tar archive on stdin (-), or a Containerfile on stdin.',
  configure(cmd: Command) {
    cmd
      .argument('[context]')
      .option('-t, --tag <name>', 'tagged name to apply to the built image', collect)
      .option('-f, --file <path>', 'the Containerfile to build (- reads it from stdin)', collect)
      .option('--target <stage>', 'build up to this stage')
      .option('--build-arg <KEY=VALUE>', 'a value for an ARG', collect)
      .option('--build-arg-file <path>', 'a file of ARG values, one KEY=VALUE per line', collect)
      .option('--no-cache', 'do not use existing cached images for the container build')
      .option('--layers [bool]', 'cache intermediate images during the build (default true)', bool, true)
      .option('--squash', 'squash all the new layers into one')
      .option('--squash-all', 'squash all layers, the base image\'s too, into one')
      .option('--pull [policy]', 'pull the base images: always, missing (default), never, newer', (v: string) => v)
      .option('--pull-always', 'always pull the base images')
      .option('--pull-never', 'never pull the base images')
      .option('--format <format>', 'format of the built image\'s manifest and metadata: oci or docker', 'oci')
      .option('--label <KEY=VALUE>', 'set metadata for an image', collect)
      .option('--annotation <KEY=VALUE>', 'an annotation for the image\'s OCI manifest', collect)
      .option('--iidfile <path>', 'write the image ID to the file')
      .option('--secret <id=ID,src=PATH>', 'a secret for RUN --mount=type=secret', collect)
      .option('--network <mode>', 'network for RUN instructions: bridge (default), none, host, or a network name')
      .option('-q, --quiet', 'refrain from announcing build instructions and image read/write progress')
      .option('--rm [bool]', 'remove intermediate containers after a successful build (always done)', bool, true)
      .option('--force-rm [bool]', 'always remove intermediate containers (always done)', bool, true)
      .option('-o, --output <output>', 'also export the image\'s files: type=local,dest=DIR | type=tar,dest=FILE | DIR')
      .option('--platform <os/arch[/variant]>', 'the platform to build for (this host\'s only)', collect)
      .option('--arch <arch>', 'the architecture to build for (this host\'s only)')
      .option('--os <os>', 'the OS to build for (linux only)')
      .option('--variant <variant>', 'the architecture variant')
      .option('--ignorefile <path>', 'an ignore file instead of .containerignore/.dockerignore')
      .option('--jobs <n>', 'how many independent stages may build at once (default 2; 1 builds them one by one, 0 as many as there are)')
      .option('--tls-verify [bool]', 'require HTTPS and verify certificates when pulling base images', parseTlsVerify)
      .option('--authfile <path>', 'path of the authentication file')
      .option('--cert-dir <path>', 'use certificates at the specified path to access the registry')
      .option('--creds <username:password>', 'credentials for pulling base images');
  },
  async run(ctx, args, opts) {
    const access = registryAccess(opts, args);
    const [{ Builder }, { BuildContext, readContainerfile }, { looksLikeTarArchive }] = await Promise.all([
      import('../../../builder/builder.js'),
      import('../../../builder/buildContext.js'),
      import('../../../storage/tar/decompress.js'),
    ]);
    const format: 'oci' | 'docker' | undefined = opts.format === 'docker' || opts.format === 'v2s2' ? 'docker' : opts.format === 'oci' ? 'oci' : undefined;
    if (!format) throw new InvalidArgumentError(`unrecognized image format "${opts.format}": use oci or docker`);
    const platform = buildPlatform(opts);
    const pull = pullPolicy(opts);
    const buildArgs = new Map<string, string>();
    for (const file of opts.buildArgFile ?? []) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new InvalidArgumentError(`cannot read --build-arg-file "${file}": check the path`);
      }
      for (const line of text.split(/\r?\n/)) {
        const t = line.trim();
        if (t && !t.startsWith('#')) setArg(buildArgs, t);
      }
    }
    for (const a of opts.buildArg ?? []) setArg(buildArgs, a);
    const keyValues = (list: string[] | undefined) => {
      const out: Record<string, string> = {};
      for (const l of list ?? []) {
        const eq = l.indexOf('=');
        out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
      }
      return out;
    };
    const labels = keyValues(opts.label);
    const annotations = keyValues(opts.annotation);
    const secrets = new Map<string, { file?: string; env?: string }>();
    for (const s of opts.secret ?? []) {
      const fields = new Map(s.split(',').map((p) => [p.slice(0, p.indexOf('=') < 0 ? p.length : p.indexOf('=')), p.includes('=') ? p.slice(p.indexOf('=') + 1) : '']));
      const id = fields.get('id');
      if (!id) throw new InvalidArgumentError(`invalid --secret "${s}": use id=ID,src=PATH or id=ID,env=VAR`);
      const src = fields.get('src') ?? fields.get('source');
      const env = fields.get('env');
      if (src !== undefined) {
        if (!existsSync(src)) throw new InvalidArgumentError(`--secret ${id}: no file "${src}": check the path`);
        secrets.set(id, { file: resolve(src) });
      } else if (env !== undefined) secrets.set(id, { env });
      else if (process.env[id] !== undefined) secrets.set(id, { env: id });
      else throw new InvalidArgumentError(`invalid --secret "${s}": give src=PATH or env=VAR`);
    }

    // The Containerfile and the context.
    const files = opts.file ?? [];
    let contextArg = args[0] ?? '.';
    let stdinBytes: Buffer | undefined;
    const readStdin = () => (stdinBytes ??= readFileSync(0));
    let containerfile: { name: string; content: string } | undefined;
    let context: import('../../../builder/buildContext.js').BuildContext;
    if (contextArg === '-') {
      const data = readStdin();
      if (looksLikeTarArchive(data.subarray(0, 512))) {
        context = await BuildContext.fromArchive(Readable.from([data]), { containerfileInContext: files[0], ignoreFile: opts.ignorefile });
        if (!files.length || files[0] !== '-') {
          const name = files[0] ?? (existsSync(join(context.root, 'Containerfile')) ? 'Containerfile' : 'Dockerfile');
          try {
            containerfile = readContainerfile(context, name);
          } catch (e) {
            context.dispose();
            throw e;
          }
        }
      } else {
        // A Containerfile on stdin and no context, as `docker build - < Dockerfile`.
        const empty = mkdtempSync(join(tmpdir(), 'tspod-build-empty-'));
        context = BuildContext.fromDirectory(empty, { ignoreFile: opts.ignorefile });
        containerfile = { name: 'Containerfile', content: data.toString('utf8') };
        const dispose = context.dispose.bind(context);
        context.dispose = () => {
          dispose();
          rmSync(empty, { recursive: true, force: true });
        };
      }
    } else {
      if (/^(https?|git):\/\//.test(contextArg) || contextArg.startsWith('git@')) {
        throw new InvalidArgumentError(`remote build contexts (${contextArg}) are not supported: clone or download it and build the directory`);
      }
      contextArg = resolve(contextArg);
      let containerfilePath: string | undefined;
      if (files.length === 0) {
        for (const name of ['Containerfile', 'Dockerfile']) if (existsSync(join(contextArg, name))) containerfilePath = join(contextArg, name);
        if (!containerfilePath) {
          let isDir = false;
          try {
            isDir = statSync(contextArg).isDirectory();
          } catch {
            throw new InvalidArgumentError(`no context directory "${args[0] ?? '.'}": check the path`);
          }
          if (!isDir) {
            // `build path/to/Containerfile`: the file's directory is the context.
            containerfilePath = contextArg;
            contextArg = resolve(contextArg, '..');
          } else {
            throw new InvalidArgumentError(`no Containerfile or Dockerfile in ${contextArg}: add one or name it with -f`);
          }
        }
      } else if (files[0] !== '-') {
        const given = files[0]!;
        containerfilePath = existsSync(given) ? resolve(given) : resolve(contextArg, given);
        if (!existsSync(containerfilePath)) throw new InvalidArgumentError(`no Containerfile "${given}": check the -f path`);
      }
      context = BuildContext.fromDirectory(contextArg, { containerfile: containerfilePath, ignoreFile: opts.ignorefile });
      if (containerfilePath) {
        const parts = [containerfilePath, ...files.slice(1).map((f) => resolve(f))];
        containerfile = { name: parts[0]!.startsWith(contextArg + '/') ? parts[0]!.slice(contextArg.length + 1) : parts[0]!, content: parts.map((p) => readFileSync(p, 'utf8')).join('\n') };
      }
    }
    if (!containerfile) containerfile = { name: 'Containerfile', content: readStdin().toString('utf8') };

    // What a build does, the same whether this process or a service runs it.
    const steps = {
      tags: opts.tag ?? [],
      target: opts.target,
      noCache: opts.cache === false,
      layers: opts.layers !== false && !opts.squash && !opts.squashAll,
      squash: opts.squash === true,
      squashAll: opts.squashAll === true,
      pull,
      format,
      labels,
      annotations,
      network: opts.network,
      jobs: buildJobs(opts.jobs),
    };
    const engine = await ctx.engine();
    if (engine.remoteBuild) {
      try {
        if (secrets.size) throw new InvalidArgumentError('build --secret is not available in remote mode yet: the secret files are on this machine');
        if (opts.output) throw new InvalidArgumentError('build --output is not available in remote mode yet: save the image and extract it instead');
        const result = await engine.remoteBuild(
          { dir: context.root, containerfile: containerfile.content },
          {
            containerfileName: containerfile.name,
            ...(isAbsolute(containerfile.name) ? {} : { containerfileInContext: containerfile.name }),
            ignoreFile: opts.ignorefile,
            ...steps,
            buildArgs: Object.fromEntries(buildArgs),
            quiet: opts.quiet === true,
          },
          { stdout: process.stdout, stderr: process.stderr },
        );
        // The service streamed the whole output, `Successfully tagged` and the id included.
        if (opts.iidfile) writeFileSync(opts.iidfile, `sha256:${result.id}`);
        return;
      } finally {
        context.dispose();
      }
    }
    const info = await engine.system.info();
    const stateDir = join(String(info.store.graphRoot), 'tspod', 'build');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const quiet = opts.quiet === true;
    const out = (line: string) => ctx.out(`${line}\n`);
    // Base images are pulled with Podman's progress on stderr: bars on a terminal, lines when piped.
    const { copyProgress } = await import('../../progressBars.js');
    const pullDisplay = quiet ? undefined : copyProgress((text) => ctx.err(text), { tty: ctx.stderrIsTty, plainWhenPiped: true, columns: process.stderr.columns });
    try {
      const builder = new Builder(engine, {
        containerfile,
        context,
        ...steps,
        buildArgs,
        secrets,
        platform,
        stateDir,
        log: quiet ? undefined : out,
        runOutput: { stdout: process.stdout, stderr: process.stderr },
        warn: (m) => ctx.err(`WARN[0000] ${m}\n`),
        pullOptions: { ...access, ...(pullDisplay ? { progress: pullDisplay.progress, blobProgress: pullDisplay.blobProgress } : {}) },
        urlHosts: (process.env.TSPOD_BUILD_ADD_HOSTS ?? '').split(',').filter(Boolean),
      });
      const result = await builder.build().finally(() => pullDisplay?.finish());
      if (!quiet) for (const n of result.names) out(`Successfully tagged ${n}`);
      if (opts.iidfile) writeFileSync(opts.iidfile, `sha256:${result.id}`);
      if (opts.output) await exportOutput(engine, result.id, opts.output);
      out(result.id);
    } finally {
      context.dispose();
    }
  },
});

function buildJobs(value: string | undefined): number {
  if (value === undefined) return 2;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`invalid --jobs "${value}": use a whole number (0: no limit)`);
  return n === 0 ? Number.MAX_SAFE_INTEGER : n;
}

function setArg(args: Map<string, string>, text: string): void {
  const eq = text.indexOf('=');
  if (eq === 0) throw new InvalidArgumentError(`invalid --build-arg "${text}": use KEY=VALUE`);
  if (eq < 0) {
    // `--build-arg KEY`: the value from the environment, when set.
    if (process.env[text] !== undefined) args.set(text, process.env[text]!);
    return;
  }
  args.set(text.slice(0, eq), text.slice(eq + 1));
}

function pullPolicy(opts: Options): 'always' | 'missing' | 'never' | 'newer' {
  if (opts.pullAlways) return 'always';
  if (opts.pullNever) return 'never';
  const p = opts.pull;
  if (p === undefined) return 'missing';
  if (p === true || p === 'true' || p === 'always') return 'always';
  if (p === 'false' || p === 'missing' || p === 'ifmissing' || p === 'ifnotpresent') return 'missing';
  if (p === 'never') return 'never';
  if (p === 'newer' || p === 'ifnewer') return 'newer';
  throw new InvalidArgumentError(`invalid --pull policy "${p}": use always, missing, never or newer`);
}

function buildPlatform(opts: Options): { os: string; arch: string; variant?: string } {
  const host = { os: 'linux', arch: hostArchitecture() };
  let os = opts.os ?? host.os;
  let arch = opts.arch ?? host.arch;
  let variant = opts.variant;
  const platforms = opts.platform ?? [];
  if (platforms.length > 1) throw new InvalidArgumentError('building for several platforms at once is not supported: give one --platform');
  if (platforms[0]) {
    const [o, a, v] = platforms[0].split('/');
    os = o || os;
    arch = a || arch;
    variant = v ?? variant;
  }
  if (os !== host.os || arch !== host.arch) {
    throw new InvalidArgumentError(`cannot build for ${os}/${arch} on this ${host.os}/${host.arch} host: only the host platform is supported`);
  }
  return { os, arch, ...(variant ? { variant } : {}) };
}

/** --output: the built image's files as a directory or a tar archive. */
async function exportOutput(engine: import('../../../engine/types.js').Engine, id: string, spec: string): Promise<void> {
  let type = 'local';
  let dest: string | undefined;
  if (!spec.includes('=')) dest = spec;
  else {
    for (const part of spec.split(',')) {
      const [k, v = ''] = part.split('=', 2) as [string, string?];
      if (k === 'type') type = v;
      else if (k === 'dest') dest = v;
      else throw new InvalidArgumentError(`invalid --output "${spec}": use type=local,dest=DIR or type=tar,dest=FILE`);
    }
  }
  if (!dest) throw new InvalidArgumentError(`invalid --output "${spec}": dest= is missing`);
  if (type !== 'local' && type !== 'tar') throw new InvalidArgumentError(`invalid --output type "${type}": use local or tar`);
  if (type === 'local') return engine.images.exportFiles(id, { type: 'local', dir: dest });
  if (dest === '-') return engine.images.exportFiles(id, { type: 'tar', out: process.stdout });
  const { atomicFile } = await import('../../../util/atomicFile.js');
  const file = atomicFile(dest);
  await engine.images.exportFiles(id, { type: 'tar', out: file.stream });
  await file.commit();
}
