import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { formatReport, isJsonFormat } from '../../format/report.js';
import { TspodError } from '../../../util/errors.js';
import type { SecretInfoReport } from '../../../engine/types.js';
import { requireArgs } from '../network/common.js';
import { goTimeString } from '../../../util/time.js';

export default defineCommand<{ format?: string; pretty?: boolean; showsecret?: boolean }>({
  usage: '[options] SECRET [SECRET...]',
  description: 'Display detailed information on one or more secrets (never their contents unless --showsecret).',
  configure(cmd: Command) {
    cmd
      .argument('[secret...]')
      .option('-f, --format <format>', 'format inspect output using Go template')
      .option('--pretty', 'print inspect output in human-readable format')
      .option('--showsecret', 'display the secret');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { min: 1 });
    const results = await (await ctx.engine()).secrets.inspect(args, { showSecret: opts.showsecret });
    const found = results.filter((r): r is SecretInfoReport => !(r instanceof Error));
    const errors = results.filter((r): r is Error => r instanceof Error);
    if (opts.pretty) {
      for (const s of found) {
        ctx.out(
          [
            `ID:              ${s.ID}`,
            `Name:              ${s.Spec.Name}`,
            `Driver:            ${s.Spec.Driver.Name}`,
            `Created at:        ${goTimeString(s.CreatedAt)}`,
            `Updated at:        ${goTimeString(s.UpdatedAt)}`,
            ...(Object.keys(s.Spec.Labels).length ? [`Labels:            ${Object.entries(s.Spec.Labels).map(([k, v]) => `${k}=${v}`).join(', ')}`] : []),
            ...(s.SecretData !== undefined ? [`SecretData:        ${s.SecretData}`] : []),
            '',
          ].join('\n'),
        );
      }
    } else if (!opts.format || isJsonFormat(opts.format)) {
      ctx.out(`${JSON.stringify(found, null, 4)}\n`);
    } else {
      ctx.out(formatReport(found, { format: opts.format, columns: [], name: 'inspect' }));
    }
    if (errors.length === 0) return 0;
    for (const e of errors.slice(0, -1)) ctx.err(`Error: ${e.message}\n`);
    throw new TspodError(`inspecting secret: ${errors[errors.length - 1]!.message}`);
  },
});
