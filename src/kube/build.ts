/**
 * play kube --build: an image named `foobar` is built from a folder `foobar`
 * (holding a Containerfile or Dockerfile) next to where kube play runs.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/types.js';

/** The folder an image would be built from: its name without registry, path and tag. */
export function buildContextFor(image: string, cwd: string): string | undefined {
  const lastPart = image.split('/').pop() ?? image;
  const name = lastPart.split('@')[0]!.split(':')[0]!;
  if (!name) return undefined;
  const dir = join(cwd, name);
  try {
    if (!statSync(dir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return existsSync(join(dir, 'Containerfile')) || existsSync(join(dir, 'Dockerfile')) ? dir : undefined;
}

/** Builds `image` from `contextDir` (its Containerfile or Dockerfile) and tags it with that name; progress on stderr. */
export async function buildImageForKube(engine: Engine, image: string, contextDir: string): Promise<void> {
  const [{ Builder }, { BuildContext }, { hostArchitecture }] = await Promise.all([
    import('../build/builder.js'),
    import('../build/buildContext.js'),
    import('../util/platform.js'),
  ]);
  const name = existsSync(join(contextDir, 'Containerfile')) ? 'Containerfile' : 'Dockerfile';
  const context = BuildContext.fromDirectory(contextDir, { containerfile: join(contextDir, name) });
  try {
    const info = await engine.system.info();
    const stateDir = join(String(info.store.graphRoot), 'tspod', 'build');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    await new Builder(engine, {
      containerfile: { name, content: readFileSync(join(contextDir, name), 'utf8') },
      context,
      tags: [image],
      buildArgs: new Map(),
      noCache: false,
      layers: true,
      squash: false,
      squashAll: false,
      pull: 'missing',
      format: 'oci',
      labels: {},
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
