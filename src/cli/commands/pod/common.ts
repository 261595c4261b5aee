import { readFileSync } from 'node:fs';
import type { CommandContext } from '../../command.js';
import { toGoJson } from '../../format/gotemplate.js';
import { createdNanos } from '../../../engine/network/networkFilters.js';
import type { PodActionReport, PodSummary } from '../../../engine/types.js';
import { InvalidArgumentError, NoSuchPodError } from '../../../util/errors.js';

export interface TargetFlags {
  all?: boolean;
  latest?: boolean;
  podIdFile?: string[];
}

/** podman's argument checks for pod commands: names, --all, --latest or --pod-id-file (when the command has it). */
export function checkPodTargets(args: string[], opts: TargetFlags): void {
  const idFile = (opts.podIdFile?.length ?? 0) > 0;
  if (idFile && (opts.all || opts.latest)) throw new InvalidArgumentError('--all, --latest, and --pod-id-file cannot be used together');
  if (opts.all && opts.latest) throw new InvalidArgumentError('--all and --latest cannot be used together');
  if (args.length > 0 && opts.all) throw new InvalidArgumentError('no arguments are needed with --all');
  if (args.length > 0 && opts.latest) throw new InvalidArgumentError('--latest and containers cannot be used together');
  if (args.length > 0 && idFile) throw new InvalidArgumentError('no arguments are needed with --latest or --pod-id-file');
  if (args.length === 0 && !opts.all && !opts.latest && !idFile) throw new InvalidArgumentError('you must provide at least one name or id');
}

/** The first line of each --pod-id-file. */
export function readPodIdFiles(files: string[] | undefined): string[] {
  return (files ?? []).map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`reading pod ID file: ${goOpenError(file, e)}`);
    }
    return text.split('\n')[0]!;
  });
}

/** A failed open as Go words it: `open PATH: no such file or directory`. */
export function goOpenError(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EEXIST: 'file exists',
  };
  return `open ${path}: ${(code && reasons[code]) ?? (e as Error).message}`;
}

export function isNoSuchPod(error: Error): boolean {
  return error instanceof NoSuchPodError || error.message.includes('no such pod');
}

export interface PrintOptions {
  /** The verb podman puts before a failed container's ID: `starting`, `stopping`... */
  verb: string;
  /** pod rm: a missing pod exits 1, and with --force is not an error at all. */
  remove?: { force?: boolean };
}

/**
 * How podman ends a pod command: the IDs of the pods that fully succeeded, then one `Error:` line per
 * failure (a pod's own, or one per container of it that failed); exit 125, or 1 when rm missed a pod.
 */
export function printPodReports(ctx: CommandContext, reports: PodActionReport[], opts: PrintOptions): number {
  const errors: string[] = [];
  let missing = false;
  for (const report of reports) {
    if (report.error) {
      if (opts.remove && isNoSuchPod(report.error)) {
        if (opts.remove.force) continue;
        missing = true;
      }
      errors.push(report.error.message);
    } else if (report.containerErrors?.length) {
      for (const { id, error } of report.containerErrors) errors.push(`${opts.verb} container ${id}: ${error.message}`);
    } else {
      ctx.out(`${report.id ?? report.name}\n`);
    }
  }
  for (const message of errors) ctx.err(`Error: ${message}\n`);
  if (errors.length === 0) return 0;
  return missing ? 1 : 125;
}

/** pflag's uint parsing, with its error. */
export function parseUint(value: string, flag: string): number {
  if (/^\+?\d+$/.test(value)) return Number(value);
  throw new InvalidArgumentError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseUint: parsing "${value}": invalid syntax`);
}

/** pflag's bool parsing for `--flag=value`. */
export function parseGoBool(value: string, flag: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
}

/** podman's report.IsJSON. */
export function isJson(format: string): boolean {
  return /^\s*(json|{{\s*json\s*(\.)?\s*}})\s*$/.test(format);
}

const EMPTY_MAP = '\u0000tspod-empty-map\u0000';

/**
 * JSON as podman's json-iterator writes it indented: like encoding/json, except that an empty map is a
 * brace pair around an indented blank line.
 */
export function jsoniterIndent(value: unknown, indent: number): string {
  const marked = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 ? EMPTY_MAP : v,
  ) as unknown;
  return toGoJson(marked, { indent: ' '.repeat(indent) }).replace(/^( *)(.*)"\\u0000tspod-empty-map\\u0000"/gm, (_, lead: string, before: string) => {
    return `${lead}${before}{\n${lead}${' '.repeat(indent)}\n${lead}}`;
  });
}

/** The most recently created pod, as podman's --latest picks it. */
export function latestPod(pods: PodSummary[]): PodSummary {
  let newest: PodSummary | undefined;
  for (const pod of pods) if (!newest || createdNanos(pod.Created) > createdNanos(newest.Created)) newest = pod;
  if (!newest) throw new NoSuchPodError('no such pod');
  return newest;
}
