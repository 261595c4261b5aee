import type { CommandContext } from '../../command.js';
import type { ContainerActionReport, Engine } from '../../../engine/types.js';
import { InvalidArgumentError, NoSuchContainerError, isTspodError } from '../../../util/errors.js';

/**
 * How podman ends a multi-container command: each success printed as the user
 * named it, each failure as an `Error:` line; the exit code is the last
 * failure's (125 by default).
 */
export function printActionReports(ctx: CommandContext, reports: ContainerActionReport[], opts: { printIds?: boolean; missingExit?: number } = {}): number {
  let code = 0;
  for (const report of reports) {
    if (report.error) {
      ctx.err(`Error: ${report.error.message}\n`);
      code = report.error instanceof NoSuchContainerError && opts.missingExit !== undefined ? opts.missingExit : isTspodError(report.error) ? report.error.exitCode : 125;
    } else {
      ctx.out(`${opts.printIds ? report.id : report.name}\n`);
    }
  }
  return code;
}

/** podman's argument checks: names or --all (or --latest), not both, not neither. */
export function checkTargets(args: string[], opts: { all?: boolean; latest?: boolean }): void {
  const chosen = (opts.all ? 1 : 0) + (opts.latest ? 1 : 0);
  if (chosen > 0 && args.length > 0) throw new InvalidArgumentError('--all and --latest cannot be used with container names or IDs');
  if (chosen === 0 && args.length === 0) throw new InvalidArgumentError('you must provide at least one name or id');
}

/** The containers a command acts on: its arguments, or with --latest the newest container. */
export async function targetNames(engine: Engine, args: string[], latest: boolean | undefined): Promise<string[]> {
  if (!latest) return args;
  const [newest] = await engine.containers.list({ all: true, last: 1 });
  if (!newest) throw new InvalidArgumentError('no containers to act on: --latest found none');
  return [newest.Id];
}
