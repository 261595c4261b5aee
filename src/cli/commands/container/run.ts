import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addCreateFlags, type CreateFlags } from './createFlags.js';
import { createFromFlags } from './create.js';
import { terminalStreams } from './attachStreams.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options extends CreateFlags {
  detach?: boolean;
  sigProxy?: boolean;
  sdnotify?: string;
}

export default defineCommand<Options>({
  usage: '[options] IMAGE [COMMAND [ARG...]]',
  description: 'Runs a command in a new container; exits with the container\'s exit code (125 engine error, 126 cannot invoke, 127 not found).',
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd.argument('[image]').argument('[command...]');
    cmd.option('-d, --detach', 'run the container in the background and print its ID');
    cmd.option('--sig-proxy [bool]', 'proxy received signals to the process', (v: string) => v !== 'false', true);
    cmd.option('--sdnotify <mode>', 'how to tell systemd the container is ready: container, conmon, ignore', 'container');
    addCreateFlags(cmd);
  },
  async run(ctx, args, opts) {
    if (!['container', 'conmon', 'ignore'].includes(opts.sdnotify ?? 'container')) {
      throw new InvalidArgumentError(`invalid --sdnotify mode "${opts.sdnotify}": use container, conmon or ignore`);
    }
    if (opts.detach && opts.logDriver === 'passthrough') {
      throw new InvalidArgumentError('the passthrough log driver hands this terminal to the container: it cannot be used with --detach');
    }
    const { id } = await createFromFlags(ctx, args, opts);
    const engine = await ctx.engine();
    if (opts.detach) {
      const [report] = await engine.containers.start([id]);
      if (report?.error) {
        if (opts.rm) await engine.containers.remove([id], { force: true, ignore: true });
        throw report.error;
      }
      ctx.out(`${id}\n`);
      if (opts.sdnotify === 'conmon' && process.env.NOTIFY_SOCKET) await (await import('../../../systemd/notify.js')).notifyReady(engine, id);
      return 0;
    }
    const { streams, restore } = terminalStreams({
      interactive: opts.interactive === true,
      tty: opts.tty === true,
      detachKeys: opts.detachKeys,
      sigProxy: opts.sigProxy !== false,
    });
    try {
      const result = await engine.containers.startAttached(id, streams);
      return result.detached ? 0 : result.exitCode;
    } catch (e) {
      if (opts.rm) await engine.containers.remove([id], { force: true, ignore: true });
      throw e;
    } finally {
      restore();
    }
  },
});
