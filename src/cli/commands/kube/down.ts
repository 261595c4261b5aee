import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { downReportText, kubeDown } from '../../../kube/down.js';
import { readKubeInput } from './input.js';

interface Options {
  force?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] KUBEFILE|-|URL [KUBEFILE...]',
  description: 'Stops and removes the pods (and secrets; with --force the volumes) that kube play made from the same YAML.',
  examples: ['tspod kube down my-pod.yaml', 'cat my-pod.yaml | tspod kube down -'],
  configure(cmd: Command) {
    cmd.argument('[file...]').option('--force', 'remove volumes as well');
  },
  async run(ctx, args, opts) {
    const { text, source } = await readKubeInput(args);
    const engine = await ctx.engine();
    const report = await kubeDown(engine, text, source, { force: opts.force === true });
    ctx.out(downReportText(report));
    for (const e of report.errors) ctx.err(`Error: ${e}\n`);
    return report.errors.length ? 125 : 0;
  },
});
