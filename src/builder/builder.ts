/**
 * Runs a Containerfile (Buildah's role): each stage the target needs, in
 * order; each step through the engine (RUN in a real container, COPY/ADD into
 * a working container's root filesystem, the rest as config-only images), with
 * every step's image kept as the layer cache (`--layers`, the default).
 */
import * as fs from 'node:fs';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { BUILD_CONTAINER_LABEL, type Engine } from '../engine/types.js';
import type { ContainerSpec, MountSpec } from '../engine/spec/containerSpec.js';
import type { ContainerConfig } from '../image/oci.js';
import { TspodError, InvalidArgumentError } from '../util/errors.js';
import { parseContainerfile, parseOnbuildTrigger, ContainerfileSyntaxError, type Instruction } from './containerfile/parser.js';
import { expandWord, expandWords } from './containerfile/shellWords.js';
import { planStages, predefinedArgs, parseArgDeclarations, stageIndex, type Plan, type Stage } from './stages.js';
import { applyConfigInstruction, commandOf, envMap, type ConfigState } from './configInstructions.js';
import { looksLikeTarArchive } from '../storage/tar/decompress.js';
import { BuildContext, DigestMemo, sourcesDigest, cleanRel, walkPlain } from './buildContext.js';
import type { SourceToCopy } from './copySources.js';

export type PullPolicy = 'always' | 'missing' | 'never' | 'newer';

export interface BuildRequest {
  containerfile: { name: string; content: string };
  context: BuildContext;
  tags: string[];
  target?: string;
  buildArgs: Map<string, string>;
  noCache: boolean;
  layers: boolean;
  /** --squash: the new layers as one; --squash-all: the whole image as one layer. */
  squash: boolean;
  squashAll: boolean;
  pull: PullPolicy;
  format: 'oci' | 'docker';
  labels: Record<string, string>;
  /** OCI manifest annotations of the final image. */
  annotations?: Record<string, string>;
  secrets: Map<string, { file?: string; env?: string }>;
  network?: string;
  platform: { os: string; arch: string; variant?: string };
  /** Where cache mounts and the context digest memo live (in storage). */
  stateDir: string;
  /** Step lines (STEP, -->, COMMIT); absent with --quiet. */
  log?: (line: string) => void;
  /** Where RUN output goes. */
  runOutput: { stdout: Writable; stderr: Writable };
  warn: (message: string) => void;
  /** Options for pulls of base images. */
  pullOptions: Record<string, unknown>;
  /** Hosts ADD may fetch URLs from (besides loopback). */
  urlHosts?: string[];
  /** `--add-host` entries (`name:ip`) in the /etc/hosts of RUN containers. */
  extraHosts?: string[];
  /** Size in bytes of RUN containers' /dev/shm (`--shm-size`). */
  shmSize?: number;
  /** How many independent stages may build at once (default 1). */
  jobs?: number;
}

export interface BuildResult {
  id: string;
  names: string[];
}

interface StageState extends ConfigState {
  stage: Stage;
  /** The current image (null: scratch with nothing committed yet). */
  image: string | null;
  /** The image the stage started from (null: scratch). */
  base: string | null;
  /** ARGs declared in this stage, with values. */
  args: Map<string, string | undefined>;
  /** Working directories known to exist in `image`. */
  knownDirs: Set<string>;
  lastCreatedBy?: string;
}

const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

/** Waits for every promise, then fails with the first failure (no stage is left running). */
async function settleAll(promises: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Build output's ids: 11 hex digits, as Buildah prints them. */
const shortId = (id: string) => id.slice(0, 11);

const SCRATCH_CREATED = '1970-01-01T00:00:00Z';

export class BuildFailure extends TspodError {}

export class Builder {
  private readonly stageImages = new Map<number, string | null>();
  /** Images this build made, in order (removed at the end unless --layers keeps them). */
  private readonly made: string[] = [];
  private readonly memo: DigestMemo;
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  private plan!: Plan;
  constructor(
    private readonly engine: Engine,
    private readonly req: BuildRequest,
  ) {
    this.memo = new DigestMemo(join(req.stateDir, 'context-digests.json'));
  }

  async build(): Promise<BuildResult> {
    const file = parseContainerfile(this.req.containerfile.content, this.req.containerfile.name);
    this.plan = planStages(file, this.req.buildArgs, this.req.target, predefinedArgs(this.req.platform));
    const used = new Set<string>([...this.plan.globalArgs.keys()]);
    try {
      await this.runStages(used);
      for (const name of this.req.buildArgs.keys()) {
        if (!used.has(name) && !PROXY_ARGS.includes(name)) this.req.warn(`one or more build args were not consumed: [${name}]`);
      }
      await this.memo.save();
      const id = this.stageImages.get(this.plan.order[this.plan.order.length - 1]!)!;
      if (!id) throw new BuildFailure('the build made no image: add an instruction after FROM scratch');
      const names: string[] = [];
      if (this.req.tags.length) {
        await this.engine.images.tag(id, this.req.tags);
        const [inspect] = await this.engine.images.inspect([id]);
        if (inspect && !(inspect instanceof Error)) {
          for (const t of this.req.tags) {
            const full = inspect.RepoTags.find((r) => r === t || r.endsWith(`/${t}`) || r.endsWith(`/${t}:latest`) || r === `${t}:latest`);
            names.push(full ?? t);
          }
        }
      }
      if (!this.req.layers) {
        const keep = new Set([id]);
        const drop = this.made.filter((m) => !keep.has(m));
        if (drop.length) await this.engine.images.remove([...new Set(drop)], { ignore: true });
      }
      return { id, names };
    } finally {
      for (const c of this.cleanups.reverse()) {
        try {
          await c();
        } catch {
          // best effort: leftovers are the working containers of a failed build
        }
      }
    }
  }

  /**
   * The needed stages, each as soon as the stages it needs are built, at most
   * `jobs` at a time: independent stages (two builders feeding a final
   * stage) run side by side. The target needs all the others, so it runs last.
   */
  private async runStages(used: Set<string>): Promise<void> {
    const order = this.plan.order;
    const jobs = Math.max(1, this.req.jobs ?? 1);
    let running = 0;
    const waiting: Array<() => void> = [];
    const slot = async () => {
      if (running >= jobs) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
    };
    const release = () => {
      running--;
      waiting.shift()?.();
    };
    const started = new Map<number, Promise<void>>();
    const run = (index: number): Promise<void> => {
      let p = started.get(index);
      if (!p) {
        const stage = this.plan.stages[index]!;
        const n = order.indexOf(index);
        p = (async () => {
          await settleAll([...stage.needs].filter((d) => order.includes(d)).map(run));
          await slot();
          try {
            await this.runStage(stage, n + 1, order.length, n === order.length - 1, used);
          } finally {
            release();
          }
        })();
        started.set(index, p);
      }
      return p;
    };
    await settleAll(order.map(run));
  }

  private log(line: string): void {
    this.req.log?.(line);
  }

  // ------------------------------------------------------------- stages

  private async runStage(stage: Stage, n: number, total: number, last: boolean, used: Set<string>): Promise<StageState> {
    const prefix = total > 1 ? `[${n}/${total}] ` : '';
    const steps = stage.instructions.length + 1;
    let stepNumber = 0;
    const stepLine = (ins: Instruction) => this.log(`${prefix}STEP ${++stepNumber}/${steps}: ${ins.text}`);
    stepLine(stage.from);
    const state = await this.startStage(stage);
    if (last) {
      const labels = this.req.labels;
      if (Object.keys(labels).length) state.config.Labels = { ...(state.config.Labels ?? {}), ...labels };
    }
    // ONBUILD triggers of the base run first, then the image no longer carries them.
    const triggers = state.config.OnBuild ?? [];
    if (triggers.length) {
      state.config.OnBuild = null;
      for (const t of triggers) {
        const ins = parseOnbuildTrigger(t, this.plan.file.file, stage.from.line, this.plan.file.escape);
        await this.runInstruction(state, ins, used, false);
      }
    }
    for (const [i, ins] of stage.instructions.entries()) {
      stepLine(ins);
      await this.runInstruction(state, ins, used, last && i === stage.instructions.length - 1);
    }
    if (stage.instructions.length === 0 && !triggers.length) {
      // FROM alone: the stage is its base (a new image only when labels changed it).
      if (last && Object.keys(this.req.labels).length) await this.configStep(state, '/bin/sh -c #(nop) LABEL', true);
    }
    await this.finishStage(state, last);
    this.stageImages.set(stage.index, state.image);
    return state;
  }

  private async startStage(stage: Stage): Promise<StageState> {
    let image: string | null = null;
    let config: ContainerConfig = {};
    if (stage.baseStage !== undefined) {
      image = this.stageImages.get(stage.baseStage) ?? null;
      if (image) config = await this.imageConfig(image);
    } else if (stage.base.toLowerCase() !== 'scratch') {
      image = await this.resolveImage(stage.base, stage.from, stage.platform);
      config = await this.imageConfig(image);
    }
    if (!config.Env && image === null) config.Env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
    return {
      stage,
      image,
      base: image,
      config: structuredClone(config),
      shell: Array.isArray(config.Shell) ? (config.Shell as string[]) : ['/bin/sh', '-c'],
      cmdSet: false,
      args: new Map(),
      knownDirs: new Set(),
    };
  }

  private async imageConfig(id: string): Promise<ContainerConfig> {
    const [report] = await this.engine.images.inspect([id]);
    if (!report || report instanceof Error) throw report ?? new BuildFailure(`image ${id} disappeared during the build: build again`);
    return (report.Config ?? {}) as ContainerConfig;
  }

  /**
   * A base image by name: pulled as the policy says, resolved to its id. With
   * FROM --platform, a local image of another platform does not count: the
   * image is pulled for that platform (a manifest list's entry).
   */
  private async resolveImage(ref: string, ins: Instruction, platformText?: string): Promise<string> {
    const platform = platformText ? parseStagePlatform(platformText, `${this.plan.file.file}:${ins.line}`) : undefined;
    const policy = this.req.pull;
    let exists = policy === 'always' ? false : await this.engine.images.exists(ref);
    if (exists && platform && !(await this.hasPlatform(ref, platform))) exists = false;
    if (!exists || policy === 'always' || policy === 'newer') {
      if (policy === 'never' && !exists) {
        const what = platform ? ` for ${platformText}` : '';
        throw new BuildFailure(`${this.plan.file.file}:${ins.line}: no image "${ref}"${what} in local storage and --pull=never: pull it first or allow pulling`);
      }
      try {
        const pullOptions = { ...this.req.pullOptions, policy: exists && policy === 'newer' ? 'newer' : 'always', ...(platform ? { platform } : {}) };
        const { ids } = await this.engine.images.pull(ref, pullOptions as never);
        if (ids[0]) return ids[0];
      } catch (e) {
        if (!exists) throw new BuildFailure(`${this.plan.file.file}:${ins.line}: cannot get base image "${ref}"${platform ? ` for ${platformText}` : ''}: ${(e as Error).message}`);
      }
    }
    const [report] = await this.engine.images.inspect([ref]);
    if (!report || report instanceof Error) throw new BuildFailure(`${this.plan.file.file}:${ins.line}: no image "${ref}": pull it or check the name`);
    return report.Id;
  }

  private async hasPlatform(ref: string, platform: { os?: string; arch?: string; variant?: string }): Promise<boolean> {
    const [report] = await this.engine.images.inspect([ref]);
    if (!report || report instanceof Error) return false;
    const r = report as unknown as { Os?: string; Architecture?: string };
    return (!platform.os || r.Os === platform.os) && (!platform.arch || r.Architecture === platform.arch);
  }

  /** Variables for expansion: the stage's ARGs, then ENV over them. */
  private vars(state: StageState): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of state.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of envMap(state.config)) m.set(k, v);
    return m;
  }

  private async runInstruction(state: StageState, ins: Instruction, used: Set<string>, last: boolean): Promise<void> {
    const escape = this.plan.file.escape;
    const file = this.plan.file.file;
    switch (ins.keyword) {
      case 'ARG': {
        for (const [name, def] of parseArgDeclarations(ins)) {
          used.add(name);
          const predefined = predefinedArgs(this.req.platform).get(name);
          const global = this.plan.globalArgs.get(name);
          const value = this.req.buildArgs.get(name) ?? (def !== undefined ? expandWord(def, this.vars(state), escape) : undefined) ?? global ?? predefined;
          state.args.set(name, value);
        }
        if (last) await this.configStep(state, `/bin/sh -c #(nop) ${ins.text}`, true);
        return;
      }
      case 'RUN':
        return this.runStep(state, ins, last);
      case 'COPY':
      case 'ADD':
        return this.copyStep(state, ins, last);
      case 'FROM':
        throw new ContainerfileSyntaxError(`${file}:${ins.line}: FROM inside a stage`);
      default: {
        const vars = this.vars(state);
        applyConfigInstruction(state, ins, vars, escape, file, this.req.format);
        await this.configStep(state, `/bin/sh -c #(nop) ${ins.text}`, last);
      }
    }
  }

  // -------------------------------------------------------------- steps

  private async configStep(state: StageState, createdBy: string, last: boolean): Promise<void> {
    state.lastCreatedBy = createdBy;
    if (this.useCache(last)) {
      const cached = await this.engine.images.findBuildStep(state.image, createdBy);
      if (cached) return this.usedCache(state, cached, last);
    }
    const { id } = await this.engine.images.derive(state.image, {
      config: state.config,
      createdBy,
      format: this.req.format,
      ...this.finalAnnotations(last),
      author: state.author,
      os: this.req.platform.os,
      architecture: this.req.platform.arch,
      variant: this.req.platform.variant,
    });
    this.committed(state, id, last);
  }

  private usedCache(state: StageState, id: string, last: boolean): void {
    this.log(`--> Using cache ${id}`);
    state.image = id;
    if (last) this.commitLine();
    this.log(`--> ${shortId(id)}`);
  }

  private committed(state: StageState, id: string, last: boolean): void {
    this.made.push(id);
    state.image = id;
    if (last) this.commitLine();
    this.log(`--> ${shortId(id)}`);
  }

  private commitLine(): void {
    this.log(`COMMIT${this.req.tags[0] ? ` ${this.req.tags[0]}` : ''}`);
  }

  /** A container from the current image to change files in (scratch: an empty base image). */
  private async workingContainer(state: StageState, spec: Partial<ContainerSpec>): Promise<string> {
    let image = state.image;
    if (image === null) {
      ({ id: image } = await this.engine.images.derive(null, {
        config: {},
        created: SCRATCH_CREATED,
        os: this.req.platform.os,
        architecture: this.req.platform.arch,
        variant: this.req.platform.variant,
        format: this.req.format,
      }));
    }
    const { id } = await this.engine.containers.create({
      image,
      command: ['/bin/sh'],
      entrypoint: [],
      pull: 'never',
      logDriver: 'none',
      network: 'none',
      labels: { [BUILD_CONTAINER_LABEL]: 'true' },
      ...spec,
    } as ContainerSpec);
    this.cleanups.push(() => this.removeContainer(id));
    return id;
  }

  private async removeContainer(id: string): Promise<void> {
    await this.engine.containers.remove([id], { force: true, ignore: true, volumes: true });
  }

  /**
   * A filesystem step: from the cache, or `work` on a working container and a commit.
   */
  private async layerStep(
    state: StageState,
    createdBy: string,
    last: boolean,
    spec: Partial<ContainerSpec>,
    work: (containerId: string, created: boolean) => Promise<void>,
  ): Promise<void> {
    state.lastCreatedBy = createdBy;
    if (this.useCache(last)) {
      const cached = await this.engine.images.findBuildStep(state.image, createdBy);
      if (cached) return this.usedCache(state, cached, last);
    }
    const id = await this.workingContainer(state, spec);
    await work(id, true);
    const { id: image } = await this.engine.containers.commit(id, {
      imageConfig: state.config,
      createdBy,
      format: this.req.format,
      author: state.author,
      ...this.finalAnnotations(last),
    });
    await this.removeContainer(id);
    this.committed(state, image, last);
  }

  /**
   * --no-cache, and --layers=false (no intermediate images kept, so none to reuse);
   * the last step is made again when --label or --annotation are given (neither is in the history the cache compares).
   */
  private useCache(last = false): boolean {
    const extras = Object.keys(this.req.annotations ?? {}).length + Object.keys(this.req.labels).length;
    return !this.req.noCache && this.req.layers && !(last && extras > 0);
  }

  private finalAnnotations(last: boolean): { annotations?: Record<string, string> } {
    return last && this.req.annotations && Object.keys(this.req.annotations).length ? { annotations: this.req.annotations } : {};
  }

  private async finishStage(state: StageState, last: boolean): Promise<void> {
    if (!last || !(this.req.squashAll || this.req.squash) || state.image === null) return;
    const id = await this.workingContainer(state, {});
    const { id: image } = await this.engine.containers.commit(id, {
      imageConfig: state.config,
      createdBy: state.lastCreatedBy ?? '/bin/sh',
      format: this.req.format,
      author: state.author,
      ...(this.req.squashAll ? { squashAll: true } : { squashSince: state.base ?? '' }),
      ...this.finalAnnotations(true),
    });
    await this.removeContainer(id);
    this.log(`--> ${shortId(image)}`);
    state.image = image;
  }

  // ---------------------------------------------------------------- RUN

  private async runStep(state: StageState, ins: Instruction, last: boolean): Promise<void> {
    const file = this.plan.file.file;
    const escape = this.plan.file.escape;
    const vars = this.vars(state);
    const mounts: MountSpec[] = [];
    const temp = mkdtempSync(join(tmpdir(), 'tspod-build-run-'));
    this.cleanups.push(() => rmSync(temp, { recursive: true, force: true }));
    let network = this.req.network;
    const secretEnv: Record<string, string> = {};
    for (const f of ins.flags) {
      if (f.name === 'mount') mounts.push(...(await this.runMount(expandWord(f.value, vars, escape), ins, temp, secretEnv)));
      else if (f.name === 'network') network = f.value;
      else if (f.name === 'security') {
        if (f.value !== 'sandbox') throw new ContainerfileSyntaxError(`${file}:${ins.line}: RUN --security=${f.value} is not supported: remove it`);
      } else throw new ContainerfileSyntaxError(`${file}:${ins.line}: unknown flag --${f.name} for RUN: use --mount, --network or --security`);
    }
    let command: string[];
    if (ins.json) command = ins.json;
    else if (ins.heredocs.length === 1 && /^<<-?["']?[A-Za-z_][A-Za-z0-9_]*["']?$/.test(ins.args)) {
      const doc = ins.heredocs[0]!;
      // The shell expands what it runs; the builder leaves RUN documents as written.
      const content = doc.content;
      if (content.startsWith('#!')) {
        // A script with its own interpreter: mounted into the container and executed.
        const script = join(temp, 'script');
        writeFileSync(script, content);
        chmodSync(script, 0o755);
        mounts.push({ type: 'bind', source: script, destination: `/dev/pipes/${doc.name}`, options: ['ro'] });
        command = [`/dev/pipes/${doc.name}`];
      } else {
        command = [...state.shell, content];
      }
    } else if (ins.heredocs.length) {
      // The shell runs the heredocs itself: hand it the command with its documents.
      command = [...state.shell, ins.args + '\n' + ins.heredocs.map((d) => `${d.content}${d.name}\n`).join('')];
    } else command = [...state.shell, ins.args];
    // ARGs are the RUN's environment (ENV wins) and part of its cache key, as in Docker.
    const argPairs = [...state.args].filter(([k, v]) => v !== undefined && !envMap(state.config).has(k)).map(([k, v]) => `${k}=${v}`);
    // Mounts and the network change what a RUN makes: they are part of its key (Buildah leaves them out).
    const flagText = ins.flags.map((f) => `--${f.name}=${f.value} `).join('');
    const script = ins.heredocs.length ? ins.args + '\n' + ins.heredocs.map((d) => d.content).join('') : ins.args;
    const createdBy = `${argPairs.length ? `|${argPairs.length} ${argPairs.join(' ')} ` : ''}${flagText}${ins.json ? ins.json.join(' ') : `/bin/sh -c ${script}`}`;
    const env: Record<string, string> = {};
    for (const p of argPairs) env[p.slice(0, p.indexOf('='))] = p.slice(p.indexOf('=') + 1);
    // Docker's predefined proxy args reach every RUN without an ARG, and stay out of the history.
    for (const name of PROXY_ARGS) {
      const value = this.req.buildArgs.get(name);
      if (value !== undefined && !(name in env)) env[name] = value;
    }
    Object.assign(env, secretEnv);
    const workdir = state.config.WorkingDir || '/';
    await this.layerStep(
      state,
      createdBy,
      last,
      {
        command,
        env,
        user: state.config.User || undefined,
        workingDir: workdir,
        mounts,
        network: network ?? 'bridge',
        ...(this.req.extraHosts?.length ? { addHosts: this.req.extraHosts } : {}),
        ...(this.req.shmSize ? { shmSize: this.req.shmSize } : {}),
      },
      async (id) => {
        if (workdir !== '/' && !state.knownDirs.has(workdir)) await this.ensureWorkdir(id, state, workdir);
        const result = await this.engine.containers.startAttached(id, {
          stdout: this.req.runOutput.stdout,
          stderr: this.req.runOutput.stderr,
          sigProxy: true,
        });
        const code = result.exitCode ?? 0;
        if (code !== 0) {
          throw new BuildFailure(`building at STEP "${ins.text.split('\n')[0]}": while running runtime: exit status ${code}`, { exitCode: code });
        }
      },
    );
    state.knownDirs.add(workdir);
  }

  /** A RUN's working directory, created like Buildah does: owned by the USER. */
  private async ensureWorkdir(containerId: string, state: StageState, workdir: string): Promise<void> {
    const [mounted] = await this.engine.containers.mount([containerId]);
    if (!mounted?.path) throw mounted?.error ?? new BuildFailure('cannot mount the working container');
    const [{ RootedTree }, { resolveUser }, { ensureDirectory }] = await Promise.all([
      import('../engine/local/containerRootfs.js'),
      import('../engine/local/containerFiles.js'),
      import('./copySources.js'),
    ]);
    const user = resolveUser(mounted.path, state.config.User || '0');
    ensureDirectory(new RootedTree([{ destination: '/', host: mounted.path }]), workdir, { uid: user.uid, gid: user.gid });
  }

  /** RUN --mount=type=cache|bind|secret|tmpfs,... as container mounts. */
  private async runMount(value: string, ins: Instruction, temp: string, secretEnv: Record<string, string>): Promise<MountSpec[]> {
    const file = this.plan.file.file;
    const opts = new Map<string, string>();
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      opts.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? 'true' : part.slice(eq + 1));
    }
    const type = opts.get('type') ?? 'bind';
    const target = opts.get('target') ?? opts.get('dst') ?? opts.get('destination');
    const readOnly = opts.get('ro') === 'true' || opts.get('readonly') === 'true';
    switch (type) {
      case 'cache': {
        if (!target) throw new ContainerfileSyntaxError(`${file}:${ins.line}: RUN --mount=type=cache needs target=`);
        const id = opts.get('id') ?? target;
        const dir = join(this.req.stateDir, 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
        mkdirSync(dir, { recursive: true, mode: Number.parseInt(opts.get('mode') ?? '755', 8) });
        if (opts.has('uid') || opts.has('gid')) fs.chownSync(dir, Number(opts.get('uid') ?? 0), Number(opts.get('gid') ?? 0));
        return [{ type: 'bind', source: dir, destination: target, options: [readOnly ? 'ro' : 'rw'] }];
      }
      case 'tmpfs': {
        if (!target) throw new ContainerfileSyntaxError(`${file}:${ins.line}: RUN --mount=type=tmpfs needs target=`);
        const size = opts.get('size') ?? opts.get('tmpfs-size');
        return [{ type: 'tmpfs', destination: target, options: size ? [`size=${size}`] : [] }];
      }
      case 'secret': {
        const id = opts.get('id') ?? (target ? posix.basename(target) : undefined);
        if (!id) throw new ContainerfileSyntaxError(`${file}:${ins.line}: RUN --mount=type=secret needs id= or target=`);
        const secret = this.req.secrets.get(id);
        if (!secret) {
          if (opts.get('required') === 'true') throw new InvalidArgumentError(`${file}:${ins.line}: secret "${id}" is required: pass it with --secret id=${id},src=FILE`);
          return [];
        }
        let source = secret.file;
        if (secret.env !== undefined) {
          source = join(temp, `secret-${id}`);
          writeFileSync(source, process.env[secret.env] ?? '', { mode: 0o400 });
        }
        if (opts.has('env')) {
          secretEnv[opts.get('env')!] = fs.readFileSync(source!, 'utf8');
          if (!target) return [];
        }
        return [{ type: 'bind', source: source!, destination: target ?? `/run/secrets/${id}`, options: ['ro'] }];
      }
      case 'bind': {
        if (!target) throw new ContainerfileSyntaxError(`${file}:${ins.line}: RUN --mount=type=bind needs target=`);
        const sourceRel = cleanRel(opts.get('source') ?? opts.get('src') ?? '/');
        const from = opts.get('from');
        let host: string;
        if (from) {
          const root = await this.mountedImage(from, ins);
          const { RootedTree } = await import('../engine/local/containerRootfs.js');
          host = new RootedTree([{ destination: '/', host: root }]).resolve('/' + sourceRel, true).host;
        } else {
          const [src] = this.req.context.resolve([sourceRel || '.'], `RUN --mount at ${file}:${ins.line}`);
          host = src!.host;
        }
        if (opts.get('rw') === 'true' || opts.get('readwrite') === 'true') {
          // Writes are thrown away: the container gets a private copy.
          const copy = join(temp, `bind-${createHash('sha256').update(target).digest('hex').slice(0, 12)}`);
          cpSync(host, copy, { recursive: true, verbatimSymlinks: true });
          host = copy;
          return [{ type: 'bind', source: host, destination: target, options: ['rw'] }];
        }
        return [{ type: 'bind', source: host, destination: target, options: ['ro'] }];
      }
      default:
        throw new ContainerfileSyntaxError(`${file}:${ins.line}: unknown mount type "${type}": use cache, bind, secret or tmpfs`);
    }
  }

  /** The root filesystem of a stage's image or a named image, mounted read-only until the build ends. */
  private async mountedImage(ref: string, ins: Instruction): Promise<string> {
    const stage = stageIndex(this.plan.stages, ref);
    let image: string | null | undefined;
    if (stage !== undefined) {
      image = this.stageImages.get(stage);
      if (image === undefined) throw new BuildFailure(`${this.plan.file.file}:${ins.line}: stage "${ref}" is not built before this step`);
      if (image === null) throw new BuildFailure(`${this.plan.file.file}:${ins.line}: stage "${ref}" is empty (FROM scratch with no files)`);
    } else {
      image = await this.resolveImage(ref, ins);
    }
    const [m] = await this.engine.images.mount([image]);
    if (!m?.path) throw m?.error ?? new BuildFailure(`cannot mount image ${ref}`);
    this.cleanups.push(async () => {
      await this.engine.images.unmount([image!]);
    });
    return m.path;
  }

  // ----------------------------------------------------------- COPY/ADD

  private async copyStep(state: StageState, ins: Instruction, last: boolean): Promise<void> {
    const file = this.plan.file.file;
    const escape = this.plan.file.escape;
    const vars = this.vars(state);
    const isAdd = ins.keyword === 'ADD';
    let from: string | undefined;
    let chown: string | undefined;
    let chmod: number | undefined;
    for (const f of ins.flags) {
      const v = expandWord(f.value, vars, escape);
      if (f.name === 'from' && !isAdd) from = v;
      else if (f.name === 'chown') chown = v;
      else if (f.name === 'chmod') {
        if (!/^[0-7]{3,4}$/.test(v)) throw new ContainerfileSyntaxError(`${file}:${ins.line}: invalid --chmod "${v}": use an octal mode like 0755`);
        chmod = Number.parseInt(v, 8);
      } else if (f.name === 'link' || f.name === 'parents' || f.name === 'checksum' || f.name === 'keep-git-dir') {
        // --link: layers are independent anyway; the others are accepted like Buildah does.
      } else throw new ContainerfileSyntaxError(`${file}:${ins.line}: unknown flag --${f.name} for ${ins.keyword}`);
    }
    let words: string[];
    const heredocFiles: Array<{ name: string; content: string }> = [];
    if (ins.json) words = ins.json.map((w) => expandWord(w, vars, escape));
    else words = expandWords(ins.args, vars, escape);
    for (const doc of ins.heredocs) {
      const idx = words.findIndex((w) => /^<<-?["']?/.test(w) && w.replace(/^<<-?["']?|["']$/g, '') === doc.name);
      if (idx >= 0) words.splice(idx, 1);
      heredocFiles.push({ name: doc.name, content: doc.expand ? expandHeredoc(doc.content, vars) : doc.content });
    }
    if (words.length + heredocFiles.length < 2) throw new ContainerfileSyntaxError(`${file}:${ins.line}: ${ins.keyword} needs at least one source and a destination`);
    const destRaw = words.pop()!;
    const workdir = state.config.WorkingDir || '/';
    const dest = destRaw.startsWith('/') ? destRaw : posix.join(workdir, destRaw) + (destRaw.endsWith('/') || destRaw === '.' ? '/' : '');
    const temp = mkdtempSync(join(tmpdir(), 'tspod-build-copy-'));
    this.cleanups.push(() => rmSync(temp, { recursive: true, force: true }));
    const sources: SourceToCopy[] = [];
    let digest: string;
    const urls = words.filter((w) => /^https?:\/\//.test(w));
    if (from) {
      const root = await this.mountedImage(from, ins);
      const { RootedTree } = await import('../engine/local/containerRootfs.js');
      const tree = new RootedTree([{ destination: '/', host: root }]);
      const resolved = words.map((w) => {
        const r = tree.resolve('/' + cleanRel(w), true);
        if (!r.stat) throw new InvalidArgumentError(`${file}:${ins.line}: no "${w}" in ${from}: check the path`);
        return { rel: cleanRel(w), host: r.host, stat: fs.statSync(r.host) };
      });
      for (const r of resolved) sources.push(this.toCopy(undefined, r, true));
      digest = sourcesDigest(undefined, resolved, this.memo);
    } else {
      const local = words.filter((w) => !/^https?:\/\//.test(w));
      if (urls.length && !isAdd) throw new ContainerfileSyntaxError(`${file}:${ins.line}: COPY cannot fetch URLs: use ADD`);
      const resolved = this.req.context.resolve(local, `${ins.keyword} at ${file}:${ins.line}`);
      for (const [i, url] of urls.entries()) {
        const target = join(temp, `url-${i}`);
        const name = await fetchForAdd(url, target, this.req.urlHosts ?? []);
        resolved.push({ rel: `url/${name}`, host: target, stat: fs.lstatSync(target) });
      }
      for (const [i, doc] of heredocFiles.entries()) {
        const target = join(temp, `heredoc-${i}`);
        writeFileSync(target, doc.content, { mode: 0o644 });
        chmodSync(target, 0o644);
        resolved.push({ rel: doc.name, host: target, stat: fs.lstatSync(target) });
      }
      for (const r of resolved) sources.push(this.toCopy(this.req.context, r, false));
      digest = sourcesDigest(this.req.context, resolved, this.memo);
    }
    const flagText = [from ? `--from=${from} ` : '', chown ? `--chown=${chown} ` : '', chmod !== undefined ? `--chmod=${chmod.toString(8)} ` : ''].join('');
    const createdBy = `/bin/sh -c #(nop) ${ins.keyword} ${flagText}${digest} in ${destRaw} `;
    await this.layerStep(state, createdBy, last, { network: 'none' }, async (id) => {
      const [mounted] = await this.engine.containers.mount([id]);
      if (!mounted?.path) throw mounted?.error ?? new BuildFailure('cannot mount the working container');
      const [{ RootedTree }, { resolveUser }, { copyIntoTree }] = await Promise.all([
        import('../engine/local/containerRootfs.js'),
        import('../engine/local/containerFiles.js'),
        import('./copySources.js'),
      ]);
      const tree = new RootedTree([{ destination: '/', host: mounted.path }]);
      let owner: { uid: number; gid: number } | undefined;
      if (chown) {
        const u = resolveUser(mounted.path, chown);
        owner = { uid: u.uid, gid: u.gid };
      }
      const archives = isAdd ? sources.filter((s) => s.stat.isFile() && !urls.length && isArchive(s.host)) : [];
      const plain = sources.filter((s) => !archives.includes(s));
      if (plain.length) copyIntoTree(tree, plain, dest, { owner, chmod });
      for (const a of archives) await extractArchiveInto(tree, a.host, dest, owner);
    });
  }

  private toCopy(ctx: BuildContext | undefined, src: { rel: string; host: string; stat: import('node:fs').Stats }, keepOwner: boolean): SourceToCopy {
    const name = posix.basename(src.rel) || 'root';
    if (!src.stat.isDirectory()) return { name, host: src.host, stat: src.stat, keepOwner };
    const entries = ctx ? ctx.walk(src) : walkPlain(src.host);
    return { name, host: src.host, stat: src.stat, entries, keepOwner };
  }
}

/** A COPY heredoc's text with variables expanded (`$V`, `${V}`, `${V:-x}`, `${V:+x}`); quotes are kept. */
function expandHeredoc(content: string, vars: Map<string, string>): string {
  return content.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const value = vars.get((braced ?? bare)!);
    if (!op) return value ?? '';
    const unset = value === undefined || (op.startsWith(':') && value === '');
    return op.endsWith('-') ? (unset ? word ?? '' : value!) : unset ? '' : word ?? '';
  });
}

/** ADD unpacks what the layer reader can read: plain, gzip or zstd tar archives. */
function isArchive(host: string): boolean {
  const fd = fs.openSync(host, 'r');
  try {
    const head = Buffer.alloc(512);
    return looksLikeTarArchive(head.subarray(0, fs.readSync(fd, head, 0, 512, 0)));
  } finally {
    fs.closeSync(fd);
  }
}

/** ADD of a local archive: unpacked at the destination with its own owners (or --chown), safely. */
async function extractArchiveInto(tree: import('../engine/local/containerRootfs.js').RootedTree, host: string, dest: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const [{ extractTar }, { decompressStream }, { ensureDirectory }] = await Promise.all([
    import('../engine/local/containerCopy.js'),
    import('../storage/tar/decompress.js'),
    import('./copySources.js'),
  ]);
  const dir = ensureDirectory(tree, dest, owner ?? { uid: 0, gid: 0 });
  const { stream } = await decompressStream(fs.createReadStream(host));
  await extractTar(stream, { tree, baseDir: dir, owner: owner ?? 'archive', overwrite: true, chown: true });
}

/** ADD of a URL: only from loopback or the allowed hosts; returns the file name it is saved as. */
async function fetchForAdd(url: string, target: string, allowed: string[]): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`ADD ${url}: not a valid URL`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || /^127\./.test(host) || host === '::1';
  if (!loopback && !allowed.includes(host)) {
    throw new InvalidArgumentError(`ADD ${url}: host "${host}" is not allowed to be fetched from: allow it with TSPOD_BUILD_ADD_HOSTS=${host}, or download the file into the context and COPY it`);
  }
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(600_000) });
  if (!response.ok || !response.body) throw new TspodError(`ADD ${url}: the server answered ${response.status} ${response.statusText}: check the URL`);
  const out = fs.createWriteStream(target, { mode: 0o600 });
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), out);
  const modified = response.headers.get('last-modified');
  if (modified && !Number.isNaN(Date.parse(modified))) fs.utimesSync(target, new Date(modified), new Date(modified));
  return posix.basename(parsed.pathname) || 'index.html';
}

/** FROM --platform=os/arch[/variant] (after ARG expansion). */
function parseStagePlatform(text: string, where: string): { os: string; arch: string; variant?: string } {
  const [os, arch, variant, extra] = text.split('/');
  if (!os || !arch || extra !== undefined) throw new BuildFailure(`${where}: invalid FROM --platform "${text}": use os/arch[/variant], e.g. linux/arm64`);
  return { os, arch, ...(variant ? { variant } : {}) };
}
