/**
 * play kube --build: an image named `foobar` is built from a folder `foobar`
 * (holding a Containerfile or Dockerfile) next to where kube play runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
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
  const name = existsSync(join(contextDir, 'Containerfile')) ? 'Containerfile' : 'Dockerfile';
  const path = join(contextDir, name);
  const { buildWithDefaults } = await import('../builder/buildWithDefaults.js');
  await buildWithDefaults(engine, { contextDir, containerfile: { path, name, content: readFileSync(path, 'utf8') }, tag: image });
}
