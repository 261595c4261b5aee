/**
 * Healthcheck flags -> spec (podman's --health-* semantics) and the merge with
 * the image's Healthcheck at create. Durations are nanoseconds as in image configs.
 */
import type { ContainerSpec, HealthConfig, HealthOnFailure } from './containerSpec.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { parseGoDuration } from '../../util/goDuration.js';

export const DEFAULT_INTERVAL_NS = 30e9;
export const DEFAULT_TIMEOUT_NS = 30e9;
export const DEFAULT_RETRIES = 3;

export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthTimeout?: string;
  healthOnFailure?: string;
  /** commander: --no-healthcheck sets it false. */
  healthcheck?: boolean;
}

/** A duration flag's value (Go syntax: `1s`, `500ms`, `1m30s`) in nanoseconds; negative durations are refused. */
export function parseDurationFlag(value: string, flag: string): number {
  const nanos = parseGoDuration(value.trim());
  if (nanos === null || nanos < 0) throw new InvalidArgumentError(`invalid duration "${value}" for ${flag}: use a Go duration such as 30s, 1m or 500ms`);
  return Math.round(nanos);
}

/** `true`/`CMD ...`/JSON array -> the Test array (CMD, CMD-SHELL or NONE first). */
export function parseHealthCmd(value: string): string[] {
  const text = value.trim();
  if (text === '' || text.toLowerCase() === 'none') return ['NONE'];
  if (text.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch {
      throw new InvalidArgumentError(`invalid --health-cmd ${value}: a JSON array of strings, e.g. ["CMD","curl","-f","http://localhost/"]`);
    }
    if (!Array.isArray(arr) || arr.some((a) => typeof a !== 'string')) throw new InvalidArgumentError(`invalid --health-cmd ${value}: give a JSON array of strings`);
    const list = arr as string[];
    if (list.length === 0) throw new InvalidArgumentError('must set a healthcheck command');
    if (list[0] === 'NONE' || list[0]?.toLowerCase() === 'none') return ['NONE'];
    if (list[0] === 'CMD' || list[0] === 'CMD-SHELL') {
      if (list.length < 2) throw new InvalidArgumentError(`invalid --health-cmd ${value}: ${list[0]} needs a command after it`);
      return list;
    }
    return ['CMD', ...list];
  }
  return ['CMD-SHELL', text];
}

export function healthSpecFromFlags(flags: HealthFlags): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  if (flags.healthOnFailure !== undefined) {
    const v = flags.healthOnFailure.toLowerCase();
    if (!['none', 'kill', 'restart', 'stop'].includes(v)) throw new InvalidArgumentError(`invalid on-failure action "${flags.healthOnFailure}" for health check: use none, kill, restart or stop`);
    out.healthOnFailure = v as HealthOnFailure;
  }
  if (flags.healthcheck === false) {
    if (flags.healthCmd !== undefined) throw new InvalidArgumentError('cannot specify both --no-healthcheck and --health-cmd');
    out.noHealthcheck = true;
    return out;
  }
  const hc: Partial<HealthConfig> = {};
  if (flags.healthCmd !== undefined) hc.Test = parseHealthCmd(flags.healthCmd);
  if (flags.healthInterval !== undefined) {
    // podman: "disable" leaves the check runnable by hand but never on a timer.
    hc.Interval = flags.healthInterval === 'disable' ? 0 : parseDurationFlag(flags.healthInterval, '--health-interval');
    if (hc.Interval !== 0 && hc.Interval < 1e9) throw new InvalidArgumentError('healthcheck-interval must be at least 1 second');
  }
  if (flags.healthTimeout !== undefined) {
    hc.Timeout = parseDurationFlag(flags.healthTimeout, '--health-timeout');
    if (hc.Timeout < 1e9) throw new InvalidArgumentError('healthcheck-timeout must be at least 1 second');
  }
  if (flags.healthStartPeriod !== undefined) {
    hc.StartPeriod = parseDurationFlag(flags.healthStartPeriod, '--health-start-period');
  }
  if (flags.healthRetries !== undefined) {
    if (!/^\d+$/.test(flags.healthRetries) || Number(flags.healthRetries) < 1) throw new InvalidArgumentError('healthcheck-retries must be greater than 0');
    hc.Retries = Number(flags.healthRetries);
  }
  if (Object.keys(hc).length) out.healthcheck = { Test: [], ...hc };
  return out;
}

/** The effective healthcheck: flags over the image's; undefined when there is none. */
export function resolveHealthConfig(spec: ContainerSpec, image: unknown): HealthConfig | undefined {
  if (spec.noHealthcheck) return undefined;
  const fromImage = image && typeof image === 'object' ? (image as HealthConfig) : undefined;
  const test = spec.healthcheck?.Test.length ? spec.healthcheck.Test : (fromImage?.Test ?? []);
  if (test.length === 0 || test[0] === 'NONE') return undefined;
  const pick = (k: 'Interval' | 'Timeout' | 'StartPeriod' | 'Retries', dflt: number): number => {
    const v = spec.healthcheck?.[k] ?? fromImage?.[k];
    return v === undefined || (v === 0 && k !== 'Interval' && k !== 'StartPeriod') ? dflt : v;
  };
  const intervalGiven = spec.healthcheck?.Interval ?? (fromImage?.Interval || undefined);
  return {
    Test: test,
    Interval: intervalGiven ?? DEFAULT_INTERVAL_NS,
    Timeout: pick('Timeout', DEFAULT_TIMEOUT_NS),
    StartPeriod: pick('StartPeriod', 0),
    Retries: pick('Retries', DEFAULT_RETRIES),
  };
}

