/**
 * The instructions that only change the image config (ENV, LABEL, CMD, ...):
 * their effect on the config, with Docker's variable expansion.
 */
import type { ContainerConfig } from '../image/oci.js';
import { InvalidArgumentError } from '../util/errors.js';
import { parseDurationFlag } from '../engine/spec/healthSpec.js';
import { ContainerfileSyntaxError, parseOnbuildTrigger, type Instruction } from './containerfile/parser.js';
import { expandWord, expandWords, splitRawWords, type Vars } from './containerfile/shellWords.js';

export interface ConfigState {
  config: ContainerConfig;
  shell: string[];
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  author?: string;
}

function where(file: string, ins: Instruction): string {
  return `${file}:${ins.line}`;
}

/** `k=v k2="v 2"` pairs, or the old single-pair form `KEY value with spaces`. */
export function keyValuePairs(ins: Instruction, vars: Vars, escape: string, file: string): Array<[string, string]> {
  const words = splitRawWords(ins.args, escape);
  if (words.length > 0 && !words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(ins.args);
    if (!m) throw new ContainerfileSyntaxError(`${where(file, ins)}: ${ins.keyword} needs KEY=VALUE pairs or "KEY VALUE"`);
    return [[expandWord(m[1]!, vars, escape), expandWord(m[2]!.trim(), vars, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ContainerfileSyntaxError(`${where(file, ins)}: ${ins.keyword} needs KEY=VALUE pairs, got "${w}"`);
    return [expandWord(w.slice(0, eq), vars, escape), expandWord(w.slice(eq + 1), vars, escape)];
  });
}

export function envMap(config: ContainerConfig): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of config.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

/** A command in exec form, or the shell form run by SHELL. */
export function commandOf(ins: Instruction, shell: string[]): string[] {
  return ins.json ?? [...shell, ins.args];
}

/** A HEALTHCHECK duration flag (Go syntax), with the instruction's place in the error. */
function durationNs(value: string, flag: string, file: string, ins: Instruction): number {
  try {
    return parseDurationFlag(value, `--${flag}`);
  } catch (e) {
    throw new ContainerfileSyntaxError(`${where(file, ins)}: ${(e as Error).message}`);
  }
}

/**
 * Applies a config-only instruction to the state; returns the text for its
 * history entry (`/bin/sh -c #(nop) ...`).
 */
export function applyConfigInstruction(state: ConfigState, ins: Instruction, vars: Vars, escape: string, file: string, format: 'oci' | 'docker'): void {
  const c = state.config;
  switch (ins.keyword) {
    case 'ENV': {
      const env = envMap(c);
      for (const [k, v] of keyValuePairs(ins, vars, escape, file)) env.set(k, v);
      c.Env = [...env].map(([k, v]) => `${k}=${v}`);
      return;
    }
    case 'LABEL': {
      const labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of keyValuePairs(ins, vars, escape, file)) labels[k] = v;
      c.Labels = labels;
      return;
    }
    case 'MAINTAINER':
      state.author = expandWord(ins.args, vars, escape);
      return;
    case 'CMD':
      c.Cmd = commandOf(ins, state.shell);
      state.cmdSet = true;
      return;
    case 'ENTRYPOINT':
      c.Entrypoint = ins.args === '' ? null : commandOf(ins, state.shell);
      if (!state.cmdSet) c.Cmd = null;
      return;
    case 'EXPOSE': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const word of expandWords(ins.args, vars, escape)) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
        if (!m) throw new ContainerfileSyntaxError(`${where(file, ins)}: invalid port "${word}" for EXPOSE: use PORT[/tcp|udp|sctp] or a range`);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        const from = Number(m[1]);
        const to = m[2] ? Number(m[2]) : from;
        if (to < from || to > 65535) throw new ContainerfileSyntaxError(`${where(file, ins)}: invalid port range "${word}" for EXPOSE`);
        for (let p = from; p <= to; p++) ports[`${p}/${proto}`] = {};
      }
      c.ExposedPorts = ports;
      return;
    }
    case 'VOLUME': {
      const volumes = { ...(c.Volumes ?? {}) };
      const paths = ins.json ?? expandWords(ins.args, vars, escape);
      for (const p of paths) {
        if (!p.trim()) throw new ContainerfileSyntaxError(`${where(file, ins)}: VOLUME specified can not be an empty string`);
        volumes[p] = {};
      }
      c.Volumes = volumes;
      return;
    }
    case 'USER':
      c.User = expandWord(ins.args, vars, escape);
      return;
    case 'WORKDIR': {
      const dir = expandWord(ins.args, vars, escape);
      c.WorkingDir = dir.startsWith('/') ? normalizeDir(dir) : normalizeDir(`${c.WorkingDir || '/'}/${dir}`);
      return;
    }
    case 'STOPSIGNAL':
      c.StopSignal = expandWord(ins.args, vars, escape);
      return;
    case 'SHELL':
      if (!ins.json || ins.json.length === 0) throw new ContainerfileSyntaxError(`${where(file, ins)}: SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]`);
      state.shell = ins.json;
      if (format === 'docker') c.Shell = ins.json;
      return;
    case 'ONBUILD': {
      parseOnbuildTrigger(ins.args, file, ins.line, escape);
      c.OnBuild = [...(c.OnBuild ?? []), ins.args];
      return;
    }
    case 'HEALTHCHECK': {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.args);
      const kind = m?.[1]?.toUpperCase();
      if (kind === 'NONE') {
        c.Healthcheck = { Test: ['NONE'] };
        return;
      }
      if (kind !== 'CMD') throw new ContainerfileSyntaxError(`${where(file, ins)}: HEALTHCHECK needs CMD or NONE`);
      const rest = m![2]!.trim();
      let json: string[] | undefined;
      if (rest.startsWith('[')) {
        try {
          const parsed = JSON.parse(rest) as unknown;
          if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) json = parsed as string[];
        } catch {
          json = undefined;
        }
      }
      if (!rest) throw new ContainerfileSyntaxError(`${where(file, ins)}: HEALTHCHECK CMD needs a command`);
      const hc: Record<string, unknown> = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', rest] };
      for (const f of ins.flags) {
        switch (f.name) {
          case 'interval':
            hc.Interval = durationNs(f.value, f.name, file, ins);
            break;
          case 'timeout':
            hc.Timeout = durationNs(f.value, f.name, file, ins);
            break;
          case 'start-period':
            hc.StartPeriod = durationNs(f.value, f.name, file, ins);
            break;
          case 'start-interval':
            hc.StartInterval = durationNs(f.value, f.name, file, ins);
            break;
          case 'retries': {
            const n = Number(f.value);
            if (!Number.isInteger(n) || n < 0) throw new ContainerfileSyntaxError(`${where(file, ins)}: invalid --retries "${f.value}": use a whole number`);
            hc.Retries = n;
            break;
          }
          default:
            throw new ContainerfileSyntaxError(`${where(file, ins)}: unknown flag --${f.name} for HEALTHCHECK: use --interval, --timeout, --start-period, --start-interval or --retries`);
        }
      }
      c.Healthcheck = hc;
      return;
    }
    default:
      throw new InvalidArgumentError(`${ins.keyword} is not a config instruction`);
  }
}

function normalizeDir(path: string): string {
  const out: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}
