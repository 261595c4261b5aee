import type { Command } from 'commander';
import { defineCommand, type CommandSpec } from '../../command.js';
import { collect } from '../../output.js';
import type { Engine, PodActionReport } from '../../../engine/types.js';
import { checkPodTargets, parseUint, printPodReports, readPodIdFiles } from './common.js';

export interface ActionFlags {
  all?: boolean;
  latest?: boolean;
  podIdFile?: string[];
  ignore?: boolean;
  time?: string;
  signal?: string;
}

interface ActionSpec {
  description: string;
  /** What podman says before a failed container: `starting container ID: ...`. */
  verb: string;
  allHelp: string;
  /** start and stop read --pod-id-file; the others do not have it. */
  podIdFile?: boolean;
  configure?: (cmd: Command) => void;
  act(engine: Engine, names: string[], opts: ActionFlags & { timeout?: number }): Promise<PodActionReport[]>;
}

/** start, stop, restart, kill, pause and unpause: the same arguments and the same report. */
export function podActionCommand(spec: ActionSpec): CommandSpec<ActionFlags> {
  return defineCommand<ActionFlags>({
    usage: '[options] POD [POD...]',
    description: spec.description,
    configure(cmd: Command) {
      cmd.argument('[pod...]').option('-a, --all', spec.allHelp).option('-l, --latest', 'Act on the latest pod tspod is aware of');
      if (spec.podIdFile) cmd.option('--pod-id-file <file>', 'Read the pod ID from the file', collect);
      spec.configure?.(cmd);
    },
    async run(ctx, args, opts) {
      const timeout = opts.time === undefined ? undefined : parseUint(opts.time, '-t, --time');
      checkPodTargets(args, opts);
      const names = [...args, ...readPodIdFiles(opts.podIdFile)];
      const engine = await ctx.engine();
      const reports = await spec.act(engine, names, { ...opts, timeout });
      return printPodReports(ctx, reports, { verb: spec.verb });
    },
  });
}
