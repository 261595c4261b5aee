import { existsSync, readFileSync } from 'node:fs';
import { BadInputError } from '../../util/errors.js';
import type { OciSeccomp } from './spec.js';

/**
 * Seccomp profiles in the containers/common (Docker) format, such as Debian's
 * /usr/share/containers/seccomp.json, turned into the OCI runtime spec's
 * linux.seccomp for one container: rules apply only when the container has the
 * capabilities and architecture they name.
 */
export const DEFAULT_SECCOMP_PATHS = ['/usr/share/containers/seccomp.json', '/etc/containers/seccomp.json'];

interface ProfileRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> | null;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
}

interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  architectures?: string[];
  syscalls?: ProfileRule[];
  flags?: string[];
}

/** The profile to use: the spec's path, else the first default present; undefined when none exists. */
export function findSeccompProfile(requested: string | undefined): string | undefined {
  if (requested) return requested;
  return DEFAULT_SECCOMP_PATHS.find((p) => existsSync(p));
}

/** Go's GOARCH names as the profiles' includes.arches use them. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const SCMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  '386': 'SCMP_ARCH_X86',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
};

export function seccompForContainer(profilePath: string, capabilities: string[]): OciSeccomp {
  let profile: Profile;
  try {
    profile = JSON.parse(readFileSync(profilePath, 'utf8')) as Profile;
  } catch (e) {
    throw new BadInputError(`cannot read seccomp profile ${profilePath}: ${(e as Error).message}: fix the file or pass --security-opt seccomp=unconfined`);
  }
  if (typeof profile.defaultAction !== 'string') {
    throw new BadInputError(`seccomp profile ${profilePath} has no defaultAction: it is not a seccomp profile`);
  }
  const goArch = GO_ARCH[process.arch] ?? process.arch;
  const native = SCMP_ARCH[goArch];
  const caps = new Set(capabilities);
  let architectures = profile.architectures ?? [];
  if (profile.archMap && native) {
    const entry = profile.archMap.find((a) => a.architecture === native);
    architectures = entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : [];
  }
  const syscalls: NonNullable<OciSeccomp['syscalls']> = [];
  for (const rule of profile.syscalls ?? []) {
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (names.length === 0) continue;
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goArch)) continue;
    if (exc.arches?.includes(goArch)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) continue;
    if (exc.caps?.some((c) => caps.has(c))) continue;
    syscalls.push({
      names,
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args?.length ? { args: rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op })) } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    ...(profile.flags?.length ? { flags: profile.flags } : {}),
    syscalls,
  };
}
