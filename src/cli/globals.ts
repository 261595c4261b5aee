import { Option, type Command } from 'commander';
import { GLOBAL_FLAGS } from './globalFlags.js';

/** Flags every command accepts; the engine's own options type (the engine never imports the CLI). */
export type { EngineOptions as GlobalOptions } from '../engine/options.js';


const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addGlobalOptions(cmd: Command): void {
  const taken = new Set(cmd.options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f)));
  // A command's own flag wins over a global one with the same letter (import -c is --change).
  const hidden = (o: Option) => {
    if (o.long && taken.has(o.long)) return;
    if (o.short && taken.has(o.short)) o = new Option(`${o.long}${o.required ? ' <value>' : ''}`, o.description);
    cmd.addOption(o.hideHelp());
  };
  for (const flag of GLOBAL_FLAGS) {
    const option = new Option(flag.flags, flag.description);
    if (flag.repeatable) option.argParser(collect);
    if (flag.choices) option.choices(flag.choices);
    hidden(option);
  }
}
