import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { formatReport, isJsonFormat } from '../../format/report.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import type { VolumeInspectReport } from '../../../engine/types.js';
import { VolumeRow } from './common.js';

export default defineCommand<{ format?: string; all?: boolean }>({
  usage: '[options] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes.',
  configure(cmd: Command) {
    cmd
      .argument('[volume...]')
      .option('-a, --all', 'inspect all volumes')
      .option('-f, --format <format>', 'format volume output using Go template', 'json');
  },
  async run(ctx, args, opts) {
    if (opts.all && args.length > 0) throw new InvalidArgumentError('when using the --all switch, you may not pass any volume names or IDs');
    if (!opts.all && args.length === 0) throw new InvalidArgumentError('provide one or more volume names or use --all');
    const engine = await ctx.engine();
    const results = opts.all ? await engine.volumes.list() : await engine.volumes.inspect(args);
    const found = results.filter((r): r is VolumeInspectReport => !(r instanceof Error));
    const errors = results.filter((r): r is Error => r instanceof Error);
    if (!opts.format || isJsonFormat(opts.format)) {
      ctx.out(`${JSON.stringify(found, null, 5)}\n`);
    } else {
      ctx.out(formatReport(found.map((v) => new VolumeRow(v)), { format: opts.format, columns: [], name: 'inspect' }));
    }
    if (errors.length === 0) return 0;
    for (const e of errors.slice(0, -1)) ctx.err(`error inspecting object: ${e.message}\n`);
    throw new TspodError(`inspecting object: ${errors[errors.length - 1]!.message}`);
  },
});
