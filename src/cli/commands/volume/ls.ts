import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { formatReport, isJsonFormat, printJson } from '../../format/report.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { VolumeRow } from './common.js';

interface Options {
  filter?: string[];
  format?: string;
  quiet?: boolean;
  noheading?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'List all available volumes. The output of the volumes can be filtered and the output format can be changed to JSON or a user specified Go template.',
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('-f, --filter <filter>', 'filter volume output', collect)
      .option('--format <format>', 'format volume output using Go template')
      .option('--noheading', 'do not print headers')
      .option('-q, --quiet', 'print volume output in quiet mode');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError('`tspod volume ls` takes no arguments');
    const volumes = await (await ctx.engine()).volumes.list({ filters: opts.filter });
    if (opts.quiet) {
      for (const v of volumes) ctx.out(`${v.Name}\n`);
      return;
    }
    if (opts.format !== undefined && isJsonFormat(opts.format)) {
      // Podman 4.3 prints an empty map here as an opened, blank-lined object.
      ctx.out(printJson(volumes, { indent: 2 }).replace(/^( *)("[^"]+": )\{\}(,?)$/gm, (_, indent: string, key: string, comma: string) => `${indent}${key}{\n${indent}  \n${indent}}${comma}`));
      return;
    }
    ctx.out(
      formatReport(
        volumes.map((v) => new VolumeRow(v)),
        {
          format: opts.format,
          noHeading: opts.noheading,
          columns: [
            { header: 'DRIVER', field: 'Driver' },
            { header: 'VOLUME NAME', field: 'Name' },
          ],
          headers: { Name: 'volume name' },
          name: 'ls',
        },
      ),
    );
  },
});
