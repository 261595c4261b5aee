import type { Command } from 'commander';
import { defineCommand } from '../../command.js';

interface Options {
  format?: string;
  debug?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Display information pertaining to the host, current storage stats, and build of tspod.',
  configure(cmd: Command) {
    cmd.option('-f, --format <format>', 'change the output format to JSON or a Go template').option('-D, --debug', 'display additional debug information');
  },
  async run(ctx, _args, opts) {
    const engine = await ctx.engine();
    const info = await engine.system.info();
    if (opts.format === 'json') {
      const { printJson } = await import('../../format/report.js');
      return void ctx.out(printJson(info));
    }
    if (opts.format) {
      const { compileTemplate } = await import('../../format/gotemplate.js');
      return void ctx.out(`${compileTemplate(opts.format).execute(goFieldNames(info))}\n`);
    }
    const { stringify } = await import('yaml');
    ctx.out(stringify(info, { indentSeq: false }));
  },
});

const GO_NAMES: Record<string, string> = { ociRuntime: 'OCIRuntime', cpus: 'CPUs', os: 'OS', cgroupVersion: 'CgroupsVersion' };

/** podman's templates see Go field names (`{{.Store.GraphRoot}}`), its JSON camelCase keys. */
function goFieldNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(goFieldNames);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [GO_NAMES[k] ?? k.charAt(0).toUpperCase() + k.slice(1), goFieldNames(v)]),
  );
}
