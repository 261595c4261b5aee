/** `--security-opt` / Docker's `HostConfig.SecurityOpt` entries applied to a spec. */
import { existsSync } from 'node:fs';
import type { ContainerSpec } from './containerSpec.js';
import { InvalidArgumentError } from '../../util/errors.js';

/** One `key=value` (or `key:value`) entry; `what` names the flag or field in errors. */
export function applySecurityOpt(spec: ContainerSpec, opt: string, what: string): void {
  const sep = opt.includes('=') ? opt.indexOf('=') : opt.indexOf(':');
  const key = sep < 0 ? opt : opt.slice(0, sep);
  const value = sep < 0 ? '' : opt.slice(sep + 1);
  switch (key) {
    case 'seccomp':
      // The Docker CLI sends a profile's contents rather than its path.
      if (value.trim().startsWith('{')) throw new InvalidArgumentError(`invalid ${what} "seccomp=...": a seccomp profile given inline is not supported: give a path or "unconfined"`);
      if (value !== 'unconfined' && !existsSync(value)) throw new InvalidArgumentError(`seccomp profile ${value} not found: give a path or "unconfined"`);
      spec.seccompProfile = value;
      return;
    case 'no-new-privileges':
      spec.noNewPrivileges = value === '' || value === 'true';
      return;
    case 'apparmor':
      spec.apparmorProfile = value;
      return;
    case 'label':
      return;
    case 'mask':
      spec.mask = [...(spec.mask ?? []), ...value.split(':').filter(Boolean)];
      return;
    case 'unmask':
      spec.unmask = [...(spec.unmask ?? []), ...value.split(':').filter(Boolean)];
      return;
    default:
      throw new InvalidArgumentError(`invalid ${what} "${opt}": use seccomp=, no-new-privileges, apparmor=, label=, mask= or unmask=`);
  }
}
