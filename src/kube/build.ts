/**
 * play kube --build: an image named `foobar` is built from a folder `foobar`
 * (holding a Containerfile or Dockerfile) next to where kube play runs.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/types.js';
import { TspodError } from '../util/errors.js';

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

/**
 * Builds `image` from `contextDir` and tags it with that name. This is where
 * `tspod build` (src/build) plugs in; until then a build folder is reported
 * instead of being silently ignored.
 */
export async function buildImageForKube(_engine: Engine, image: string, contextDir: string): Promise<void> {
  throw new TspodError(`image "${image}" would be built from ${contextDir}, but tspod build is not available yet: build and tag it first, or play with --build=false`);
}
