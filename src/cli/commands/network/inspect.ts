import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { formatReport, isJsonFormat } from '../../format/report.js';
import { TspodError } from '../../../util/errors.js';
import { NetworkView, requireArgs } from './common.js';
import type { NetworkConfig } from '../../../engine/types.js';

export default defineCommand<{ format?: string }>({
  usage: '[options] NETWORK [NETWORK...]',
  description: 'Displays the network configuration for one or more networks.',
  configure(cmd: Command) {
    cmd.argument('[network...]').option('-f, --format <format>', 'pretty-print network to JSON or using a Go template');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { min: 1 });
    const results = await (await ctx.engine()).networks.inspect(args);
    const found = results.filter((r): r is NetworkConfig => !(r instanceof Error));
    const errors = results.filter((r): r is Error => r instanceof Error);
    if (!opts.format || isJsonFormat(opts.format)) {
      // podman's inspect printer: 5-space indent, HTML left unescaped.
      ctx.out(`${JSON.stringify(found, null, 5)}\n`);
    } else {
      ctx.out(formatReport(found.map((n) => new NetworkView(n)), { format: opts.format, columns: [], name: 'inspect' }));
    }
    if (errors.length === 0) return 0;
    for (const e of errors.slice(1)) ctx.err(`error inspecting object: ${e.message}\n`);
    throw new TspodError(`inspecting object: ${errors[0]!.message}`);
  },
});
