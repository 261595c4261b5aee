import type { Command } from 'commander';
import { InvalidArgumentError } from '../../../util/errors.js';
import type { RegistryAccessOptions } from '../../../engine/types.js';

const GO_TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/** pflag booleans: `--flag`, `--flag=false`; a word that is not a boolean is kept to be put back as an argument. */
export function goBool(v: string): boolean | string {
  return GO_TRUE.includes(v) ? true : GO_FALSE.includes(v) ? false : v;
}

/** pflag's StringSlice: repeatable, each value comma-separated. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',')];
}

/**
 * Resolves `[bool]` flags: when commander took the next word as the value,
 * the flag is plain true and the word goes back in front of the arguments.
 */
export function takeBool(value: boolean | string | undefined, positional: string[]): boolean | undefined {
  if (typeof value !== 'string') return value;
  positional.unshift(value);
  return true;
}

export interface AccessFlags {
  tlsVerify?: boolean | string;
  certDir?: string;
  authfile?: string;
  creds?: string;
}

export function addAccessFlags(cmd: Command, which: { certDir?: boolean; auth?: boolean } = { certDir: true, auth: true }): Command {
  cmd.option('--tls-verify [bool]', 'require HTTPS and verify certificates when accessing the registry (default true)', goBool);
  if (which.auth) {
    cmd
      .option('--authfile <path>', 'path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override')
      .option('--creds <credentials>', 'use [username[:password]] for accessing the registry');
  }
  if (which.certDir) cmd.option('--cert-dir <path>', 'use certificates at the specified path to access the registry');
  return cmd;
}

export function accessOptions(flags: AccessFlags, positional: string[]): RegistryAccessOptions {
  const tlsVerify = takeBool(flags.tlsVerify, positional);
  return {
    tlsVerify,
    certDir: flags.certDir,
    authFile: flags.authfile,
    credentials: flags.creds !== undefined ? parseCreds(flags.creds) : undefined,
  };
}

function parseCreds(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  const username = colon >= 0 ? value.slice(0, colon) : value;
  if (username === '') throw new InvalidArgumentError('--creds has an empty username: give USERNAME:PASSWORD');
  if (colon < 0) throw new InvalidArgumentError('--creds has no password: give USERNAME:PASSWORD');
  return { username, password: value.slice(colon + 1) };
}

export function parseFormat(value: string | undefined): 'oci' | 'v2s2' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'oci') return 'oci';
  if (value === 'v2s2' || value === 'docker') return 'v2s2';
  throw new InvalidArgumentError(`unknown format "${value}": choose one of the supported formats: oci or v2s2`);
}

export function expectArgs(positional: string[], min: number, max: number, usage: string): void {
  if (positional.length < min || positional.length > max) {
    const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new InvalidArgumentError(`accepts ${wanted} arg(s), received ${positional.length}: usage: tspod manifest ${usage}`);
  }
}
