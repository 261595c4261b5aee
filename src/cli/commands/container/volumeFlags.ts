/** `-v` named/anonymous volumes, `--mount type=volume`, `--volumes-from` and `--secret` for create/run. */
import type { MountSpec, SecretUse } from '../../../engine/spec/containerSpec.js';
import { InvalidArgumentError } from '../../../util/errors.js';

const VOLUME_OPTIONS = /^(ro|rw|z|Z|U|nocopy|copy|r?shared|r?slave|r?private|r?unbindable|nosuid|suid|nodev|dev|noexec|exec)$/;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

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

/** `--mount type=volume,source=NAME,target=/path[,readonly][,volume-nocopy][,U]` (fields already split). */
export function parseVolumeMount(fields: Record<string, string>, flags: string[], spec: string): MountSpec {
  const destination = fields.target ?? fields.destination ?? fields.dst ?? '';
  const source = fields.source ?? fields.src;
  if (source !== undefined && source !== '' && !VOLUME_NAME.test(source)) {
    throw new InvalidArgumentError(`invalid volume name "${source}" in "${spec}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  }
  const options: string[] = [];
  if (flags.includes('readonly') || flags.includes('ro') || fields.readonly === 'true' || fields.ro === 'true') options.push('ro');
  if (flags.includes('volume-nocopy') || fields['volume-nocopy'] === 'true') options.push('nocopy');
  if (flags.includes('U') || fields.U === 'true' || fields.chown === 'true') options.push('U');
  for (const f of flags) if (['nosuid', 'nodev', 'noexec'].includes(f)) options.push(f);
  return { type: 'volume', ...(source ? { source } : {}), destination, options };
}

/** `--volumes-from CTR[:ro|rw]`: checked here, resolved by the engine. */
export function parseVolumesFrom(value: string): string {
  const [name = '', mode, extra] = value.split(':');
  if (name === '' || extra !== undefined) throw new InvalidArgumentError(`invalid --volumes-from "${value}": use CONTAINER[:ro|rw]`);
  if (mode !== undefined && !['ro', 'rw', 'z', 'Z'].includes(mode)) throw new InvalidArgumentError(`invalid --volumes-from "${value}": the option must be ro or rw`);
  return value;
}

/** `--secret NAME[,type=mount|env][,target=T][,uid=N][,gid=N][,mode=OCT]`. */
export function parseSecretFlag(value: string): SecretUse {
  const [name = '', ...rest] = value.split(',');
  if (name === '' || name.includes('=')) throw new InvalidArgumentError(`invalid --secret "${value}": start with the secret's name`);
  const use: SecretUse = { name, type: 'mount', target: name, uid: 0, gid: 0, mode: 0o444 };
  let target: string | undefined;
  let modeSet = false;
  let owned = false;
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new InvalidArgumentError(`invalid --secret option "${part}": use type=, target=, uid=, gid= or mode=`);
    const key = part.slice(0, eq);
    const v = part.slice(eq + 1);
    switch (key) {
      case 'type':
        if (v !== 'mount' && v !== 'env') throw new InvalidArgumentError(`type ${v} is invalid: secret type must be mount or env`);
        use.type = v;
        break;
      case 'target':
      case 'dst':
        target = v;
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`invalid --secret ${key} "${v}": give a number`);
        use[key] = Number(v);
        owned = true;
        break;
      case 'mode':
        if (!/^[0-7]{1,4}$/.test(v)) throw new InvalidArgumentError(`invalid --secret mode "${v}": give an octal mode like 0400`);
        use.mode = parseInt(v, 8);
        modeSet = true;
        break;
      default:
        throw new InvalidArgumentError(`option ${key} is invalid for --secret: use type, target, uid, gid or mode`);
    }
  }
  if (use.type === 'env' && (modeSet || owned)) throw new InvalidArgumentError('UID, GID, Mode options cannot be set with secret option type=env');
  if (target !== undefined) {
    if (target === '') throw new InvalidArgumentError(`invalid --secret "${value}": target cannot be empty`);
    use.target = target;
  }
  return use;
}
