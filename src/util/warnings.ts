/**
 * Where the engine's warnings go (`WARN[0001] StopSignal SIGTERM failed...`):
 * this process's stderr, or, inside `collectWarnings`, the collector of the
 * request that caused them, so the API service can hand them to its client
 * (which prints them as the local engine would). Scoped per async call chain,
 * so concurrent requests keep their own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const sink = new AsyncLocalStorage<(line: string) => void>();

/** Writes one warning line (with its newline). */
export function warn(line: string): void {
  const collect = sink.getStore();
  if (collect) collect(line);
  else process.stderr.write(line);
}

export function collectWarnings<T>(onWarning: (line: string) => void, fn: () => T): T {
  return sink.run(onWarning, fn);
}
