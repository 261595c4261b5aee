/** Phase timings on stderr when TSPOD_TRACE is set: a cheap profiler for start-up and lifecycle work. */
const enabled = process.env.TSPOD_TRACE !== undefined && process.env.TSPOD_TRACE !== '';
/**
 * TSPOD_CRASH_AT=<label>: the process kills itself with SIGKILL when it reaches
 * that trace point, so the crash tests can stop a command at an exact step.
 */
const crashAt = process.env.TSPOD_CRASH_AT;

export function trace(label: string): void {
  if (enabled) process.stderr.write(`[trace ${(performance.now()).toFixed(1)}ms ${label}]\n`);
  if (crashAt === label) process.kill(process.pid, 'SIGKILL');
}
