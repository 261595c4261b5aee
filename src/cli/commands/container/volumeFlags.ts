/** `-v` named/anonymous volumes, `--mount type=volume`, `--volumes-from` and `--secret` for create/run. */
import type { MountSpec, SecretUse } from '../../../engine/spec/containerSpec.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { VOLUME_NAME } from '../../../engine/spec/mountSpec.js';

export { isVolumeSpec, parseVolumeFlag, parseVolumesFrom } from '../../../engine/spec/mountSpec.js';

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
