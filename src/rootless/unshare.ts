/**
 * `tspod unshare [COMMAND]`: a command (by default $SHELL) run as root of the
 * rootless user namespace, where the user's storage can be read and changed
 * with its real owners. tspod already runs inside the namespace by the time
 * this is called (bin/tspod or enter.ts put it there), so the command is a
 * plain child that inherits it.
 */
import { TspodError } from '../util/errors.js';
import { runForeground } from '../util/process.js';
import { UNSHARE_SESSION, USERNS_CONFIGURED_ENV, inRootlessUserNamespace } from '../util/rootless.js';

export async function unshareCommand(command: string[], extraEnv: Record<string, string>): Promise<number> {
  if (!inRootlessUserNamespace()) {
    throw new TspodError('tspod unshare is for rootless users: as root, run the command directly');
  }
  const argv = command.length ? command : [process.env.SHELL || '/bin/sh'];
  try {
    return await runForeground(argv[0]!, argv.slice(1), { ...process.env, ...extraEnv, [USERNS_CONFIGURED_ENV]: UNSHARE_SESSION });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TspodError(`cannot run ${argv[0]}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { exitCode: code === 'ENOENT' ? 127 : 126 });
  }
}
