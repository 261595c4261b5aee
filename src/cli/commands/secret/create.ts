import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { parseKeyValues, requireArgs } from '../network/common.js';

interface Options {
  driver?: string;
  driverOpts?: string[];
  label?: string[];
  env?: boolean;
  replace?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] NAME FILE|-',
  description: 'Create a secret from a file, from stdin (-), or with --env from an environment variable.',
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('-d, --driver <driver>', 'specify secret driver', 'file')
      .option('--driver-opts <option>', 'specify driver specific options', collect)
      .option('-l, --label <label>', 'specify labels on the secret', collect)
      .option('--env', 'read secret data from environment variable')
      .option('--replace', 'if a secret with the same name exists, replace it');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { exact: 2 });
    const [name, source] = args as [string, string];
    let data: Buffer;
    if (opts.env) {
      const value = process.env[source];
      if (value === undefined) throw new InvalidArgumentError(`cannot create store secret data: environment variable ${source} is not set`);
      data = Buffer.from(value);
    } else {
      try {
        data = source === '-' ? readFileSync(0) : readFileSync(source);
      } catch (e) {
        throw new InvalidArgumentError(`reading secret data from ${source === '-' ? 'stdin' : source}: ${(e as Error).message}`);
      }
    }
    const id = await (await ctx.engine()).secrets.create(name, data, {
      driver: opts.driver,
      driverOptions: parseKeyValues(opts.driverOpts?.flatMap((o) => o.split(',')), 'unable to parse driver options'),
      labels: parseKeyValues(opts.label, 'failed to parse labels'),
      replace: opts.replace,
    });
    ctx.out(`${id}\n`);
  },
});
