/** start/stop/restart/kill/rm share this shape: the project's containers of the services named, one engine call. */
import type { Command } from 'commander';
import type { CommandContext } from '../../command.js';
import { addProjectFlags, progressTo, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { dependencyOrder, nameOf } from '../../../compose/project.js';
import type { ContainerActionReport, ContainerSummary, Engine } from '../../../engine/types.js';

/** `[services...]` and the project flags; `-f` stays free for verbs whose own -f is --force. */
export function configureServices(cmd: Command, opts: { shortFile?: boolean } = {}): Command {
  addProjectFlags(cmd, opts);
  return cmd.argument('[services...]');
}

export async function actOnServices(
  ctx: CommandContext,
  args: string[],
  opts: ProjectFlags,
  verb: { doing: string; done: string; all?: boolean; reverse?: boolean },
  act: (engine: Engine, containers: ContainerSummary[]) => Promise<ContainerActionReport[]>,
): Promise<number> {
  const { name, project } = projectNameFromFlags(ctx, opts);
  const engine = await ctx.engine();
  let list = await serviceContainers(engine, name, project, args, { all: verb.all !== false, oneoff: false });
  if (project) {
    const order = dependencyOrder(project).filter((s) => list.some((c) => c.Labels?.['com.docker.compose.service'] === s));
    if (verb.reverse) order.reverse();
    list = order.flatMap((s) => list.filter((c) => c.Labels?.['com.docker.compose.service'] === s));
  }
  const progress = progressTo(ctx);
  for (const c of list) progress(`Container ${nameOf(c)}  ${verb.doing}`);
  const reports = list.length ? await act(engine, list) : [];
  let failed = 0;
  for (const [i, r] of reports.entries()) {
    if (r.error) {
      failed++;
      ctx.err(`Error: ${nameOf(list[i]!)}: ${r.error.message}\n`);
    } else progress(`Container ${nameOf(list[i]!)}  ${verb.done}`);
  }
  return failed ? 125 : 0;
}
