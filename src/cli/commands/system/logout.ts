import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { loadRegistriesConf } from '../../../config/registriesConf.js';
import { defaultAuthFile, removeCredentials } from '../../../image/registry/authFile.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import { authFileFromEnv, credentialsKey } from './login.js';

interface Options {
  authfile?: string;
  all?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] [REGISTRY]',
  description: 'Deletes the credentials stored for a registry (or all of them) from the auth file.',
  examples: ['tspod logout quay.io', 'tspod logout --authfile ./auth.json registry.example.com/team', 'tspod logout --all'],
  configure(cmd: Command) {
    cmd
      .argument('[registry]')
      .option('--authfile <path>', 'path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)')
      .option('-a, --all', 'delete the credentials of every registry in the auth file');
  },
  async run(ctx, args, opts) {
    const authFile = opts.authfile ?? authFileFromEnv();
    if (authFile !== undefined && !existsSync(authFile)) throw new TspodError(`auth file ${authFile} does not exist: check --authfile or REGISTRY_AUTH_FILE`);
    const file = authFile ?? defaultAuthFile();
    if (opts.all) {
      if (args.length > 0) throw new InvalidArgumentError('--all takes no arguments: drop the registry, or drop --all');
      removeCredentials(undefined, file);
      ctx.out('Removed login credentials for all registries\n');
      return;
    }
    const { key } = credentialsKey(args[0], loadRegistriesConf().unqualifiedSearchRegistries);
    if (!removeCredentials(key, file)) throw new TspodError(`not logged into ${key}`);
    ctx.out(`Removed login credentials for ${key}\n`);
  },
});
