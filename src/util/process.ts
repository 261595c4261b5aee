import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';

/** Whether a process exists (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs a program on this process's stdio, as a shell runs a foreground job,
 * and resolves with its exit code (128+N when killed by signal N). The
 * terminal's SIGINT/SIGQUIT reach it directly; SIGTERM and SIGHUP sent to
 * this process are passed on. A program that cannot be started rejects with
 * the spawn error (code ENOENT, EACCES...).
 */
export function runForeground(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(program, args, { stdio: 'inherit', env });
  const handlers = (['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'] as const).map(
    (signal) => [signal, () => (signal === 'SIGTERM' || signal === 'SIGHUP' ? child.kill(signal) : undefined)] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + ((signal && (osConstants.signals as Record<string, number>)[signal]) || 1)));
  }).finally(() => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  });
}
