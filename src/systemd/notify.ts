import { spawnSync } from 'node:child_process';
import type { Engine } from '../engine/types.js';

/**
 * `--sdnotify=conmon`: tell systemd that conmon is the service's main process
 * and that it is ready. Node has no unix datagram sockets, so systemd-notify
 * sends the message (units set NotifyAccess=all for this).
 */
export async function notifyReady(engine: Engine, id: string): Promise<void> {
  const [doc] = await engine.containers.inspect([id]);
  const state = doc instanceof Error ? undefined : (doc?.State as Record<string, unknown> | undefined);
  const conmonPid = Number(state?.ConmonPid ?? 0);
  const message = conmonPid > 0 ? [`MAINPID=${conmonPid}`, 'READY=1'] : ['READY=1'];
  spawnSync('systemd-notify', message, { stdio: 'ignore' });
}
