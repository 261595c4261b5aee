import type { ContainerConfig } from './oci.js';
import { InvalidArgumentError } from '../util/errors.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/**
 * Applies `--change` instructions (import, commit) to an image's container
 * config: Dockerfile syntax, `INSTRUCTION VALUE` or `INSTRUCTION=VALUE`.
 */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const out: ContainerConfig = { ...config };
  for (const change of changes) {
    const match = /^\s*([A-Za-z]+)(?:\s+|=)(.*)$/s.exec(change);
    const instruction = match?.[1]?.toUpperCase();
    if (!match || !instruction || !ALLOWED.includes(instruction)) {
      throw new InvalidArgumentError(`invalid change "${change}": use one of ${ALLOWED.join(', ')} followed by a value`);
    }
    const value = match[2]!.trim();
    switch (instruction) {
      case 'CMD':
        out.Cmd = commandForm(value);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = commandForm(value);
        break;
      case 'ENV':
        out.Env = mergeEnv(out.Env ?? [], keyValues(value, change));
        break;
      case 'LABEL':
        out.Labels = { ...(out.Labels ?? {}), ...Object.fromEntries(keyValues(value, change)) };
        break;
      case 'EXPOSE':
        out.ExposedPorts = { ...(out.ExposedPorts ?? {}) };
        for (const port of value.split(/\s+/).filter(Boolean)) out.ExposedPorts[port.includes('/') ? port : `${port}/tcp`] = {};
        break;
      case 'VOLUME':
        out.Volumes = { ...(out.Volumes ?? {}) };
        for (const v of jsonOrWords(value)) out.Volumes[v] = {};
        break;
      case 'USER':
        out.User = value;
        break;
      case 'WORKDIR':
        out.WorkingDir = value;
        break;
      case 'STOPSIGNAL':
        out.StopSignal = value;
        break;
      case 'ONBUILD':
        out.OnBuild = [...(out.OnBuild ?? []), value];
        break;
    }
  }
  return out;
}

function commandForm(value: string): string[] {
  if (value.startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    } catch {
      // not JSON: shell form below, as docker does
    }
  }
  return ['/bin/sh', '-c', value];
}

function jsonOrWords(value: string): string[] {
  if (value.startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // fall through to words
    }
  }
  return value.split(/\s+/).filter(Boolean);
}

/** `K=V K2="V 2"` or the legacy `K V` form. */
function keyValues(value: string, change: string): Array<[string, string]> {
  if (!value.includes('=')) {
    const space = value.indexOf(' ');
    if (space < 0) throw new InvalidArgumentError(`invalid change "${change}": give KEY=VALUE`);
    return [[value.slice(0, space), value.slice(space + 1).trim()]];
  }
  const pairs: Array<[string, string]> = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of value.matchAll(re)) {
    let v = m[2]!;
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (v.startsWith("'")) v = v.slice(1, -1);
    pairs.push([m[1]!, v]);
  }
  return pairs;
}

function mergeEnv(env: string[], pairs: Array<[string, string]>): string[] {
  const out = [...env];
  for (const [k, v] of pairs) {
    const i = out.findIndex((e) => e.startsWith(`${k}=`));
    if (i >= 0) out[i] = `${k}=${v}`;
    else out.push(`${k}=${v}`);
  }
  return out;
}
