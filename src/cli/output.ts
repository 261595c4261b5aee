import { createInterface } from 'node:readline';
import type { CommandContext } from './command.js';
import { formatReport, printJson } from './format/report.js';

export interface Column {
  header: string;
  field: string;
}

/** Rows as podman prints them: a table, `--format` template, `table ...` or `json`. */
export function printRows(ctx: CommandContext, rows: object[], opts: { format?: string; noHeading?: boolean; columns: Column[]; json?: unknown }): void {
  if (opts.format === 'json' && opts.json !== undefined) {
    ctx.out(printJson(opts.json));
    return;
  }
  ctx.out(formatReport(rows, { format: opts.format, noHeading: opts.noHeading, columns: opts.columns }));
}

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Reads a yes/no answer from stdin, as podman's prune prompts do. */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  ctx.err(`${question} [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
