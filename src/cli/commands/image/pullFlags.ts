import { existsSync } from 'node:fs';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import type { RegistryAccessOptions } from '../../../engine/types.js';

/** The registry access flags pull, run and create share. */
export interface RegistryAccessFlags {
  creds?: string;
  /** true/false from --tls-verify[=bool]; a string when commander took the next word as its value. */
  tlsVerify?: boolean | string;
  authfile?: string;
  certDir?: string;
}

const GO_TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/** Value parser of `--tls-verify [bool]`: Go's boolean spellings; any other word is returned as it is (an argument). */
export const parseTlsVerify = (v: string): boolean | string => (GO_TRUE.includes(v) ? true : GO_FALSE.includes(v) ? false : v);

/**
 * The flags as engine options. `--tls-verify WORD` means the plain flag
 * followed by an argument: the word is put back at the front of `args`.
 */
export function registryAccess(flags: RegistryAccessFlags, args: string[]): RegistryAccessOptions {
  let tlsVerify: boolean | undefined;
  if (typeof flags.tlsVerify === 'string') {
    tlsVerify = true;
    args.unshift(flags.tlsVerify);
  } else {
    tlsVerify = flags.tlsVerify;
  }
  if (flags.authfile !== undefined && !existsSync(flags.authfile)) {
    throw new InvalidArgumentError(`stat ${flags.authfile}: no such file or directory: check the path given to --authfile`);
  }
  return {
    tlsVerify,
    certDir: flags.certDir,
    authFile: flags.authfile,
    credentials: flags.creds !== undefined ? parseCreds(flags.creds) : undefined,
  };
}

export function parseCreds(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  const username = colon >= 0 ? value.slice(0, colon) : value;
  if (username === '') throw new InvalidArgumentError('--creds has an empty username: give USERNAME:PASSWORD');
  if (colon < 0) throw new TspodError('--creds has no password: give USERNAME:PASSWORD, or log in first with tspod login');
  return { username, password: value.slice(colon + 1) };
}
