/**
 * Healthchecks without a daemon: `healthcheck run` executes the container's
 * check through exec and keeps the result in a small JSON file in the bundle
 * dir; a per-container timer (a systemd transient timer when systemd is PID 1,
 * else a detached /bin/sh loop beside conmon) calls `healthcheck run` every interval.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ContainerRuntime } from './containerRuntime.js';
import type { ContainerRecord } from './containerRecord.js';
import type { ExecOptions, AttachStreams } from '../types.js';
import type { HealthConfig } from '../spec/containerSpec.js';
import { formatGoDuration } from '../../util/goDuration.js';
import { selfExecutable } from '../../util/self.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { isProcessAlive } from '../../util/process.js';
import { ContainerStateError, TspodError } from '../../util/errors.js';
import { containerEvent } from './events.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

const LOG_FILE = 'healthcheck.log';
const TIMER_PID_FILE = 'healthcheck-timer.pid';
const MAX_LOG_ENTRIES = 5;
/** podman keeps this much of a check's output. */
const MAX_OUTPUT = 500;

export function healthConfigOf(record: ContainerRecord): HealthConfig | undefined {
  const hc = record.config.spec.healthcheck;
  return hc && hc.Test.length && hc.Test[0] !== 'NONE' && !record.config.spec.noHealthcheck ? hc : undefined;
}

/** The recorded health; a running container with a check but no result yet is `starting`. */
export function readHealth(rt: ContainerRuntime, record: ContainerRecord): HealthState | undefined {
  if (!healthConfigOf(record)) return undefined;
  try {
    return JSON.parse(readFileSync(join(rt.bundleDir(record.config.id), LOG_FILE), 'utf8')) as HealthState;
  } catch {
    return { Status: 'starting', FailingStreak: 0, Log: [] };
  }
}

/** The `(healthy)` suffix ps adds to `Up ...` of a running container with a check. */
export function healthSuffix(rt: ContainerRuntime, record: ContainerRecord, status: string): string {
  if (status !== 'running') return '';
  const h = readHealth(rt, record);
  return h ? ` (${h.Status})` : '';
}

function healthArgv(test: string[]): string[] {
  return test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test[0] === 'CMD' ? test.slice(1) : test;
}

type ExecFn = (nameOrId: string, opts: ExecOptions, streams: AttachStreams) => Promise<number>;

/** One check: exec, record, apply --health-on-failure. Returns the check's own result. */
export async function runHealthcheck(rt: ContainerRuntime, exec: ExecFn, record: ContainerRecord): Promise<HealthStatus> {
  const id = record.config.id;
  const hc = healthConfigOf(record);
  if (!hc) throw new TspodError(`container ${id} has no defined healthcheck: create it with --health-cmd or from an image with a HEALTHCHECK`);
  const state = rt.observe(record).state;
  if (state.status !== 'running') throw new ContainerStateError(`container ${id} is not running: start it first`);
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  const start = nowRfc3339Nano();
  const timeoutNs = hc.Timeout ?? 30e9;
  let exitCode: number;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        chunks.push(Buffer.from(`Healthcheck command timed out after ${formatGoDuration(timeoutNs)}\n`));
        resolve(-1);
      }, timeoutNs / 1e6);
      timer.unref();
    });
    exitCode = await Promise.race([exec(id, { command: healthArgv(hc.Test) }, { stdout: sink, stderr: sink }), timedOut]);
  } catch (e) {
    chunks.push(Buffer.from(`${(e as Error).message}\n`));
    exitCode = (e as { exitCode?: number }).exitCode ?? 125;
  } finally {
    if (timer) clearTimeout(timer);
  }
  const entry: HealthLogEntry = { Start: start, End: nowRfc3339Nano(), ExitCode: exitCode, Output: Buffer.concat(chunks).toString('utf8').slice(0, MAX_OUTPUT) };
  const inStartPeriod = exitCode !== 0 && Date.now() - Date.parse(state.startedAt) < (hc.StartPeriod ?? 0) / 1e6;
  let turnedUnhealthy = false;
  let recorded: string | undefined;
  rt.withLock(id, () => {
    const current = rt.db.get(id);
    // stopped or restarted meanwhile: this result belongs to an old run.
    if (!current || current.state.startedAt !== state.startedAt || rt.observe(current).state.status !== 'running') return;
    const prev = readHealth(rt, current) ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const next: HealthState = { ...prev, Log: [...prev.Log, entry].slice(-MAX_LOG_ENTRIES) };
    if (exitCode === 0) {
      next.Status = 'healthy';
      next.FailingStreak = 0;
    } else if (!inStartPeriod) {
      next.FailingStreak = prev.FailingStreak + 1;
      if (next.FailingStreak >= (hc.Retries ?? 3)) {
        turnedUnhealthy = true;
        next.Status = 'unhealthy';
      }
    }
    const path = join(rt.bundleDir(id), LOG_FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(next));
    renameSync(`${path}.tmp`, path);
    recorded = next.Status;
  });
  if (recorded) containerEvent(rt.runtime, record, 'health_status', { health_status: recorded });
  if (turnedUnhealthy) await applyOnFailure(rt, record);
  return exitCode === 0 ? 'healthy' : 'unhealthy';
}

async function applyOnFailure(rt: ContainerRuntime, record: ContainerRecord): Promise<void> {
  const id = record.config.id;
  switch (record.config.spec.healthOnFailure ?? 'none') {
    case 'kill':
      await rt.kill(id, 9);
      return;
    case 'stop':
      await rt.stop(id);
      return;
    case 'restart':
      await rt.stop(id);
      await rt.start(id);
      return;
    default:
  }
}

// ----------------------------------------------------------------- timers

function systemdIsInit(): boolean {
  return existsSync('/run/systemd/system');
}

function unitName(id: string): string {
  return `${id}-health`;
}

/** Starts the periodic check of a container that has just started (lock held by the caller). */
export function startHealthTimer(rt: ContainerRuntime, record: ContainerRecord, globals: string[]): void {
  const hc = healthConfigOf(record);
  if (!hc || !hc.Interval) return;
  const id = record.config.id;
  const seconds = Math.max(1, hc.Interval / 1e9);
  const command = [selfExecutable(), ...globals, 'healthcheck', 'run', id];
  if (systemdIsInit()) {
    spawnSync('systemd-run', ['--unit', unitName(id), `--on-unit-inactive=${seconds}s`, '--timer-property=AccuracySec=1s', ...command], { stdio: 'ignore' });
    return;
  }
  // No systemd to own a timer and no daemon of our own: a detached shell loop is
  // the smallest thing that outlives this command. It stops by itself once conmon
  // (the container's monitor) is gone; stop/rm/cleanup kill it by pid sooner.
  const script = 'c=$1; i=$2; shift 2; while kill -0 "$c" 2>/dev/null; do sleep "$i"; kill -0 "$c" 2>/dev/null || break; "$@" >/dev/null 2>&1 </dev/null; done';
  const child = spawn('/bin/sh', ['-c', script, `tspod-health-${id}`, String(record.state.conmonPid), String(seconds), ...command], {
    detached: true,
    stdio: 'ignore',
  });
  if (child.pid) writeFileSync(join(rt.bundleDir(id), TIMER_PID_FILE), `${child.pid}\n`);
  child.unref();
}

/** The timer's pid, if its process is still the timer of this container. */
export function healthTimerPid(rt: ContainerRuntime, id: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(rt.bundleDir(id), TIMER_PID_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!(pid > 0) || !isProcessAlive(pid)) return undefined;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`tspod-health-${id}`)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

function ownProcessGroup(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Ends the periodic check (stop, rm, cleanup, restart). */
export function stopHealthTimer(rt: ContainerRuntime, record: ContainerRecord): void {
  const id = record.config.id;
  if (!healthConfigOf(record)) return;
  if (systemdIsInit()) {
    spawnSync('systemctl', ['stop', `${unitName(id)}.timer`, `${unitName(id)}.service`], { stdio: 'ignore' });
    return;
  }
  const pid = healthTimerPid(rt, id);
  rmSync(join(rt.bundleDir(id), TIMER_PID_FILE), { force: true });
  if (!pid) return;
  try {
    // The loop is its own process group (with its sleep); a check the timer started
    // (on-failure stop/restart) must not kill itself with it, so then only the shell goes.
    if (ownProcessGroup() === pid) process.kill(pid, 'SIGTERM');
    else process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Health for inspect: State.Health, also shown as State.Healthcheck like podman 4.3. */
export function inspectHealth(rt: ContainerRuntime, record: ContainerRecord): { Status: string; FailingStreak: number; Log: HealthLogEntry[] | null } {
  const h = readHealth(rt, record);
  if (!h) return { Status: '', FailingStreak: 0, Log: null };
  return { Status: h.Status, FailingStreak: h.FailingStreak, Log: h.Log };
}
