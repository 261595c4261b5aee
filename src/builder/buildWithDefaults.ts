/**
 * A build with `podman build`'s defaults for front ends that build on the
 * user's behalf (kube play --build, compose build:, the API's POST /build):
 * layers and cache on, base images pulled when missing, the host platform,
 * progress on stderr unless the caller takes it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/types.js';
import { hostArchitecture } from '../util/platform.js';
import { BuildContext, readContainerfile } from './buildContext.js';
import { Builder, type BuildRequest, type BuildResult } from './builder.js';

export interface DefaultBuild {
  contextDir: string;
  /** Path of the Containerfile (for the ignore file beside it) and its name and text. */
  containerfile: { path: string; name: string; content: string };
  tag: string;
  target?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
}

/** What a caller may set beyond the defaults: names, cache, pulls, and where the output goes. */
export type BuildOverrides = Partial<Pick<BuildRequest, 'tags' | 'noCache' | 'pull' | 'network' | 'log' | 'runOutput' | 'warn' | 'pullOptions' | 'urlHosts' | 'extraHosts' | 'shmSize'>>;

export async function buildWithDefaults(engine: Engine, b: DefaultBuild): Promise<void> {
  const context = BuildContext.fromDirectory(b.contextDir, { containerfile: b.containerfile.path });
  try {
    await runDefaultBuild(engine, context, { ...b, tags: [b.tag] });
  } finally {
    context.dispose();
  }
}

/**
 * A build context sent as a tar archive (plain or compressed), with the
 * Containerfile at `containerfile` inside it; the unpacked copy is removed afterwards.
 */
export async function buildArchiveWithDefaults(
  engine: Engine,
  archive: Readable,
  b: { containerfile: string; target?: string; buildArgs?: Record<string, string>; labels?: Record<string, string> } & BuildOverrides,
): Promise<BuildResult> {
  const context = await BuildContext.fromArchive(archive, { containerfileInContext: b.containerfile });
  try {
    return await runDefaultBuild(engine, context, { ...b, containerfile: readContainerfile(context, b.containerfile) });
  } finally {
    context.dispose();
  }
}

async function runDefaultBuild(
  engine: Engine,
  context: BuildContext,
  b: { containerfile: { name: string; content: string }; target?: string; buildArgs?: Record<string, string>; labels?: Record<string, string> } & BuildOverrides,
): Promise<BuildResult> {
  const info = await engine.system.info();
  const stateDir = join(String(info.store.graphRoot), 'tspod', 'build');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const stderr: Writable = process.stderr;
  return new Builder(engine, {
    containerfile: { name: b.containerfile.name, content: b.containerfile.content },
    context,
    tags: b.tags ?? [],
    target: b.target,
    buildArgs: new Map(Object.entries(b.buildArgs ?? {})),
    noCache: b.noCache ?? false,
    layers: true,
    squash: false,
    squashAll: false,
    pull: b.pull ?? 'missing',
    format: 'oci',
    labels: b.labels ?? {},
    secrets: new Map(),
    network: b.network,
    platform: { os: 'linux', arch: hostArchitecture() },
    stateDir,
    log: 'log' in b ? b.log : (line) => stderr.write(`${line}\n`),
    runOutput: b.runOutput ?? { stdout: stderr, stderr },
    warn: b.warn ?? ((m) => stderr.write(`WARN[0000] ${m}\n`)),
    pullOptions: b.pullOptions ?? {},
    urlHosts: b.urlHosts,
    extraHosts: b.extraHosts,
    shmSize: b.shmSize,
  }).build();
}
