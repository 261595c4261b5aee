import { COMMANDS, GROUPS, findCommand, type CommandEntry } from './registry.js';
import { COMPOSE_VALUE_FLAGS, GLOBAL_FLAGS, GLOBAL_VALUE_FLAGS } from './globalFlags.js';
import type { GlobalOptions } from './globals.js';
import type { CommandContext } from './command.js';
import { VERSION } from '../version.js';
import { trace } from '../util/trace.js';

const PROGRAM = 'tspod';

async function main(argv: string[]): Promise<number> {
  trace('main');
  guardStdoutPipe();
  const located = locateCommandWords(argv);
  if (located.words.length === 0) {
    if (argv.includes('-v') || argv.includes('--version')) {
      process.stdout.write(`${PROGRAM} version ${VERSION}\n`);
      return 0;
    }
    process.stdout.write(rootHelp());
    if (argv.includes('--help') || argv.includes('-h')) return 0;
    process.stderr.write(`Error: missing command '${PROGRAM} COMMAND'\n`);
    return 125;
  }
  if (argv.length === 1 && argv[0] === 'version') {
    // The commonest probe of an installation: answer it without loading the flag parser.
    const { default: version } = await import('./commands/system/version.js');
    await version.run(makeContext({}), [], {});
    return 0;
  }
  const found = findCommand(located.words);
  if (!found) {
    const group = GROUPS[located.words.slice(0, 2).join(' ')] !== undefined ? located.words.slice(0, 2).join(' ') : located.words[0]!;
    if (GROUPS[group] !== undefined) {
      process.stdout.write(groupHelp(group));
      if (located.words.length === group.split(' ').length) {
        if (argv.includes('--help') || argv.includes('-h')) return 0;
        process.stderr.write(`Error: missing command '${PROGRAM} ${group} COMMAND'\n`);
        return 125;
      }
    }
    process.stderr.write(
      `Error: unrecognized command \`${PROGRAM} ${located.words.join(' ')}\`\nTry '${PROGRAM} --help' for more information\n`,
    );
    return 125;
  }
  if (needsUserNamespace(argv, found.entry)) {
    const { runInUserNamespace } = await import('../rootless/enter.js');
    return runInUserNamespace();
  }
  // `compose -f FILE logs -f`, `compose -p NAME run -p 80`: before the verb these are the project's, after it the verb's own.
  const verbAt = located.words[0] === 'compose' ? (located.indexes[1] ?? 0) : 0;
  const rest = argv
    .map((arg, i) => (i < verbAt && arg === '-f' ? '--file' : i < verbAt && arg === '-p' ? '--project-name' : arg))
    .filter((_, i) => !located.indexes.slice(0, found.consumed).includes(i));
  const path = located.words.slice(0, found.consumed).join(' ');
  return runCommand(found.entry, path, rest);
}

/**
 * An ordinary user's tspod works as root of its own user namespace: bin/tspod
 * enters it before Node starts when its pause process exists; otherwise
 * (first call, or no bin/tspod) Node makes it and runs the command again
 * inside. Help and version need no namespace.
 */
function needsUserNamespace(argv: string[], entry: CommandEntry): boolean {
  if ((process.getuid?.() ?? 0) === 0 || process.env._CONTAINERS_USERNS_CONFIGURED) return false;
  return entry.paths[0] !== 'version' && !argv.includes('--help');
}

async function runCommand(entry: CommandEntry, path: string, args: string[]): Promise<number> {
  const [{ Command, CommanderError }, { addGlobalOptions }, mod] = await Promise.all([
    import('commander'),
    import('./globals.js'),
    entry.load(),
  ]);
  const spec = mod.default;
  const cmd = new Command(`${PROGRAM} ${path}`);
  cmd.description(spec.description).usage(spec.usage);
  spec.configure(cmd);
  addGlobalOptions(cmd);
  if (spec.stopAtFirstArg) cmd.passThroughOptions();
  if (spec.examples?.length) cmd.addHelpText('after', `\nExamples:\n  ${spec.examples.join('\n  ')}\n`);
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(`Error: ${s.replace(/^error: /, '').trimEnd()}\nSee '${PROGRAM} ${path} --help'\n`),
  });
  let parsedArgs: string[] = [];
  cmd.action((...params: unknown[]) => {
    const self = params[params.length - 1] as { args: string[] };
    parsedArgs = self.args;
  });
  try {
    cmd.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 125;
    throw e;
  }
  const opts = cmd.opts() as GlobalOptions & Record<string, unknown>;
  trace('parsed');
  const ctx = makeContext(opts);
  const code = (await spec.run(ctx, parsedArgs, opts)) ?? 0;
  if (spec.exitOnReturn) process.exit(code);
  return code;
}

function makeContext(globals: GlobalOptions): CommandContext {
  let engine: Promise<import('../engine/types.js').Engine> | undefined;
  return {
    globals,
    engine() {
      engine ??= import('../engine/index.js').then((m) => m.createEngine(globals));
      return engine;
    },
    out: (text) => {
      if (!globals.noout) process.stdout.write(text);
    },
    err: (text) => process.stderr.write(text),
    stdoutIsTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
  };
}

/** The command words and where they stand, skipping global flags and their values. */
function locateCommandWords(argv: string[]): { words: string[]; indexes: number[] } {
  const words: string[] = [];
  const indexes: number[] = [];
  for (let i = 0; i < argv.length && words.length < 3; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (GLOBAL_VALUE_FLAGS.has(arg) || (words[0] === 'compose' && COMPOSE_VALUE_FLAGS.has(arg))) i++;
      continue;
    }
    if (words.length === 1 && GROUPS[words[0]!] === undefined) break;
    // `system connection add`: a group inside a group.
    if (words.length === 2 && GROUPS[words.join(' ')] === undefined) break;
    words.push(arg);
    indexes.push(i);
  }
  return { words, indexes };
}

function rootHelp(): string {
  const lines = [`Manage pods, containers and images\n`, `Usage:\n  ${PROGRAM} [options] [command]\n`, 'Available Commands:'];
  const entries: Array<[string, string]> = Object.entries(GROUPS).filter(([g]) => !g.includes(' '));
  for (const c of COMMANDS) {
    const top = c.paths.find((p) => !p.includes(' '));
    if (top) entries.push([top, c.summary]);
  }
  entries.sort((a, b) => a[0].localeCompare(b[0]));
  for (const [name, summary] of entries) lines.push(`  ${name.padEnd(12)} ${summary}`);
  const options = [
    ...GLOBAL_FLAGS.map((f) => ({ flags: f.flags, description: f.choices ? `${f.description} (${f.choices.join(', ')})` : f.description })),
    { flags: '-h, --help', description: `help for ${PROGRAM}` },
    { flags: '-v, --version', description: `version of ${PROGRAM}` },
  ];
  // By long name, short flags in a column of their own, as podman --help lists them.
  const longName = (flags: string) => flags.replace(/^-\w, /, '');
  options.sort((a, b) => longName(a.flags).localeCompare(longName(b.flags)));
  lines.push('', 'Options:');
  for (const o of options) lines.push(`  ${(o.flags.startsWith('--') ? `    ${o.flags}` : o.flags).padEnd(34)} ${o.description}`);
  lines.push('');
  return lines.join('\n');
}

function groupHelp(group: string): string {
  const lines = [`${GROUPS[group]}\n`, `Usage:\n  ${PROGRAM} ${group} [command]\n`, 'Available Commands:'];
  for (const c of COMMANDS) {
    const p = c.paths.find((x) => x.startsWith(`${group} `));
    if (p) lines.push(`  ${p.slice(group.length + 1).padEnd(12)} ${c.summary}`);
  }
  return lines.join('\n') + '\n\n';
}

/** `tspod images | head` must end quietly, not with EPIPE. */
function guardStdoutPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

async function reportAndExit(e: unknown): Promise<never> {
  const { isTspodError, errorMessage } = await import('../util/errors.js');
  const debug = process.argv.includes('--log-level=debug') || process.argv.join(' ').includes('--log-level debug');
  process.stderr.write(`Error: ${errorMessage(e)}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(isTspodError(e) ? e.exitCode : 125);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  reportAndExit,
);
