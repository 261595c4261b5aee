/**
 * A build with `podman build`'s defaults for front ends that build on the
 * user's behalf (kube play --build, compose build:): layers and cache on,
 * base images pulled when missing, the host platform, progress on stderr.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/types.js';
import { hostArchitecture } from '../util/platform.js';
import { BuildContext } from './buildContext.js';
import { Builder } from './builder.js';

export interface DefaultBuild {
  contextDir: string;
  /** Path of the Containerfile (for the ignore file beside it) and its name and text. */
  containerfile: { path: string; name: string; content: string };
  tag: string;
  target?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
}

export async function buildWithDefaults(engine: Engine, b: DefaultBuild): Promise<void> {
  const context = BuildContext.fromDirectory(b.contextDir, { containerfile: b.containerfile.path });
  try {
    const info = await engine.system.info();
    const stateDir = join(String(info.store.graphRoot), 'tspod', 'build');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    await new Builder(engine, {
      containerfile: { name: b.containerfile.name, content: b.containerfile.content },
      context,
      tags: [b.tag],
      target: b.target,
      buildArgs: new Map(Object.entries(b.buildArgs ?? {})),
      noCache: false,
      layers: true,
      squash: false,
      squashAll: false,
      pull: 'missing',
      format: 'oci',
      labels: b.labels ?? {},
      secrets: new Map(),
      platform: { os: 'linux', arch: hostArchitecture() },
      stateDir,
      log: (line) => process.stderr.write(`${line}\n`),
      runOutput: { stdout: process.stderr, stderr: process.stderr },
      warn: (m) => process.stderr.write(`WARN[0000] ${m}\n`),
      pullOptions: {},
    }).build();
  } finally {
    context.dispose();
  }
}
