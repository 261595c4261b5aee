import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  time?: string;
  cors?: string;
}

export default defineCommand<Options>({
  usage: '[options] [URI]',
  description:
    'Run an API service on a unix (default) or tcp socket. It exits after --time seconds without a connection (0: never), so a socket unit can start it on demand.',
  examples: ['tspod system service --time 0 unix:///tmp/tspod.sock', 'tspod system service --time 0 tcp://127.0.0.1:8888'],
  configure(cmd: Command) {
    cmd.argument('[URI]');
    cmd.option('-t, --time <seconds>', 'time until the service exits without a connection (0: never)', '5');
    cmd.option('--cors <origins>', 'accepted for compatibility; CORS headers are not sent');
  },
  async run(ctx, args, opts) {
    const idleSeconds = Number(opts.time ?? '5');
    if (!Number.isInteger(idleSeconds) || idleSeconds < 0) {
      throw new InvalidArgumentError(`--time "${opts.time}" is not a whole number of seconds: use 0 to serve until stopped`);
    }
    const { configEnvironment, isRootless, userRuntimeDir } = await import('../../../config/paths.js');
    const ce = configEnvironment();
    const rootless = isRootless(ce);
    const activatedFds = systemdSocketFds();
    const listen = args[0]
      ? [args[0]]
      : activatedFds.length > 0
        ? []
        : [`unix://${rootless ? `${userRuntimeDir(ce)}/podman/podman.sock` : '/run/podman/podman.sock'}`];
    const { startService } = await import('../../../api/server.js');
    const { buildRouter } = await import('../../../api/routes/index.js');
    const engine = await ctx.engine();
    if ((engine as { remote?: boolean }).remote) {
      throw new InvalidArgumentError('system service serves the engine of this machine: it cannot run in remote mode (unset CONTAINER_HOST/CONTAINER_CONNECTION, drop --url/--connection/--remote)');
    }
    const service = await startService({
      engine,
      router: buildRouter(),
      listen,
      activatedFds,
      idleSeconds,
      socketMode: rootless ? 0o600 : 0o660,
      warn: (message) => ctx.err(`WARN[0000] ${message}\n`),
    });
    const stop = () => service.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await service.done;
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  },
});

/** The sockets systemd passed (sd_listen_fds): fds 3.. when LISTEN_PID is this process. */
function systemdSocketFds(): number[] {
  const count = Number(process.env.LISTEN_FDS ?? 0);
  if (!count || Number(process.env.LISTEN_PID) !== process.pid) return [];
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDNAMES;
  return Array.from({ length: count }, (_, i) => 3 + i);
}
