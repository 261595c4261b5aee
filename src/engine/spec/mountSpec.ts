/**
 * The `-v` / `Binds` syntax (`[HOST-DIR|VOLUME-NAME:]CONTAINER-DIR[:OPTIONS]`), `--tmpfs`
 * and `--volumes-from`, shared by the CLI's flags and the Docker API's create body.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { MountSpec } from './containerSpec.js';
import { InvalidArgumentError } from '../../util/errors.js';

const VOLUME_OPTIONS = /^(ro|rw|z|Z|U|nocopy|copy|r?shared|r?slave|r?private|r?unbindable|nosuid|suid|nodev|dev|noexec|exec)$/;
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Whether `-v SPEC` names a volume (or none, `-v /path`) rather than a host directory. */
export function isVolumeSpec(spec: string): boolean {
  const parts = spec.split(':');
  if (parts.length === 1) return true;
  const source = parts[0] ?? '';
  return source !== '' && !source.startsWith('/') && !source.startsWith('.');
}

/** `-v NAME:/path[:OPTS]` and `-v /path[:OPTS]`-less anonymous `-v /path`. */
export function parseVolumeFlag(spec: string): MountSpec {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const destination = parts[0]!;
    if (!destination.startsWith('/')) throw new InvalidArgumentError(`invalid volume "${spec}": the container directory must be an absolute path`);
    return { type: 'volume', destination, options: [] };
  }
  if (parts.length > 3) throw new InvalidArgumentError(`invalid volume "${spec}": use VOLUME-NAME:CONTAINER-DIR[:OPTIONS]`);
  const [source = '', destination = '', opts] = parts;
  if (!VOLUME_NAME.test(source)) throw new InvalidArgumentError(`invalid volume name "${source}" in "${spec}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  if (!destination.startsWith('/')) throw new InvalidArgumentError(`invalid volume "${spec}": container directory "${destination}" must be an absolute path`);
  return { type: 'volume', source, destination, options: volumeOptions(opts ? opts.split(',').filter(Boolean) : [], spec) };
}

function volumeOptions(options: string[], spec: string): string[] {
  for (const o of options) {
    if (!VOLUME_OPTIONS.test(o)) throw new InvalidArgumentError(`invalid volume option "${o}" in "${spec}": use ro, rw, U, z, Z, nocopy, nosuid, nodev, noexec or a propagation mode`);
  }
  if (options.includes('ro') && options.includes('rw')) throw new InvalidArgumentError(`invalid volume "${spec}": ro and rw are mutually exclusive`);
  return options.filter((o) => o !== 'z' && o !== 'Z');
}

/** `--volumes-from CTR[:ro|rw]`: checked here, resolved by the engine. */
export function parseVolumesFrom(value: string): string {
  const [name = '', mode, extra] = value.split(':');
  if (name === '' || extra !== undefined) throw new InvalidArgumentError(`invalid --volumes-from "${value}": use CONTAINER[:ro|rw]`);
  if (mode !== undefined && !['ro', 'rw', 'z', 'Z'].includes(mode)) throw new InvalidArgumentError(`invalid --volumes-from "${value}": the option must be ro or rw`);
  return value;
}

const BIND_OPTIONS = /^(ro|rw|z|Z|r?shared|r?slave|r?private|r?unbindable|r?bind|nosuid|suid|nodev|dev|noexec|exec|nocopy|copy|U|O|idmap(=.*)?|delegated|cached|consistent)$/;

/** `-v HOST-DIR:CTR[:OPTS]` (a bind mount), `-v NAME:CTR[:OPTS]` (a named volume) or `-v CTR` (an anonymous one). */
export function parseVolume(spec: string): MountSpec {
  if (isVolumeSpec(spec)) return parseVolumeFlag(spec);
  const parts = spec.split(':');
  if (parts.length > 3) throw new InvalidArgumentError(`invalid volume "${spec}": use HOST-DIR:CONTAINER-DIR[:OPTIONS]`);
  const [source = '', destination, opts] = parts;
  if (destination === undefined) {
    throw new InvalidArgumentError(`anonymous volume "${spec}" is not supported yet: bind a host directory with -v HOST-DIR:${spec}`);
  }
  if (source === '') throw new InvalidArgumentError(`invalid volume "${spec}": host directory cannot be empty`);
  if (destination === '' || !destination.startsWith('/')) {
    throw new InvalidArgumentError(`invalid volume "${spec}": container directory "${destination}" must be an absolute path`);
  }
  if (!isAbsolute(source) && !source.startsWith('.')) {
    throw new InvalidArgumentError(`named volume "${source}" is not supported yet: bind an absolute host path instead (-v /path:${destination})`);
  }
  const options = opts ? opts.split(',').filter(Boolean) : [];
  for (const o of options) {
    if (!BIND_OPTIONS.test(o)) throw new InvalidArgumentError(`invalid volume option "${o}" in "${spec}": use ro, rw, z, Z, nosuid, nodev, noexec or a propagation mode`);
  }
  if (options.includes('ro') && options.includes('rw')) throw new InvalidArgumentError(`invalid volume "${spec}": ro and rw are mutually exclusive`);
  const hostPath = resolve(source);
  if (!existsSync(hostPath)) {
    throw new InvalidArgumentError(`invalid volume "${spec}": host path ${hostPath} does not exist: create it first`);
  }
  return { type: 'bind', source: hostPath, destination, options: options.filter((o) => !['z', 'Z', 'U', 'O'].includes(o)) };
}

export function parseTmpfs(spec: string): MountSpec {
  const [destination, opts] = splitFirst(spec, ':');
  if (!destination.startsWith('/')) throw new InvalidArgumentError(`invalid tmpfs "${spec}": the path must be absolute`);
  return { type: 'tmpfs', destination, options: opts ? opts.split(',').filter(Boolean) : [] };
}

function splitFirst(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}
