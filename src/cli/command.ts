import type { Command } from 'commander';
import type { GlobalOptions } from './globals.js';
import type { Engine } from '../engine/types.js';

export interface CommandContext {
  globals: GlobalOptions;
  /** The engine, created on first use (local or remote). */
  engine(): Promise<Engine>;
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (progress bars, refusing binary output). */
  readonly stdoutIsTty: boolean;
  readonly stderrIsTty: boolean;
}

export interface CommandSpec<Opts = Record<string, unknown>> {
  /** Usage line after the command path, e.g. `[options] IMAGE [IMAGE...]`. */
  usage: string;
  description: string;
  examples?: string[];
  /** Declare flags and arguments; global flags are added by the framework. */
  configure(cmd: Command): void;
  /** Stops flag parsing at the first argument (run, create, exec). */
  stopAtFirstArg?: boolean;
  /**
   * Ends the process as soon as run() returns, skipping Node's teardown of
   * worker threads and heaps (~20 ms after a pull): for commands that leave
   * nothing running behind them. Output is not lost: stdout and stderr are
   * synchronous on Linux.
   */
  exitOnReturn?: boolean;
  /** Returns the exit code (0 when omitted). */
  run(ctx: CommandContext, args: string[], opts: Opts): Promise<number | void>;
}

export function defineCommand<Opts>(spec: CommandSpec<Opts>): CommandSpec<Opts> {
  return spec;
}
