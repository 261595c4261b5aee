/** Phase timings on stderr when TSPOD_TRACE is set: a cheap profiler for start-up and lifecycle work. */
const enabled = process.env.TSPOD_TRACE !== undefined && process.env.TSPOD_TRACE !== '';


export function trace(label: string): void {
  if (enabled) process.stderr.write(`[trace ${(performance.now()).toFixed(1)}ms ${label}]\n`);
}


