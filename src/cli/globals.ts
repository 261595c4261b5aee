import { Option, type Command } from 'commander';

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
  hidden(new Option('--root <path>', 'path to the graph root directory'));
  hidden(new Option('--runroot <path>', 'path to the run root directory'));
  hidden(new Option('--storage-driver <driver>', 'storage driver (overlay, vfs)'));
  hidden(new Option('--storage-opt <opt>', 'storage driver option').argParser(collect));
  hidden(new Option('--log-level <level>', 'log messages at and above this level').choices(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic']));
  hidden(new Option('--runtime <path>', 'OCI runtime to use'));
  hidden(new Option('--cgroup-manager <manager>', 'cgroup manager (cgroupfs, systemd)'));
  hidden(new Option('--url <url>', 'URL of a tspod/podman service'));
  hidden(new Option('-c, --connection <name>', 'connection to use for remote mode'));
  hidden(new Option('--events-backend <backend>', 'events backend (file, journald, none)'));
  hidden(new Option('--tmpdir <path>', 'path to the tmp directory'));
  hidden(new Option('--network-config-dir <path>', 'path of the network config directory'));
  hidden(new Option('--network-cmd-path <path>', 'path to the rootless network program'));
  hidden(new Option('--conmon <path>', 'path of the conmon binary'));
  hidden(new Option('--runtime-flag <flag>', 'flag passed to the OCI runtime').argParser(collect));
  hidden(new Option('--hooks-dir <path>', 'OCI hooks directory').argParser(collect));
  hidden(new Option('--identity <path>', 'ssh identity for remote connections'));
  hidden(new Option('--module <path>', 'load a containers.conf module'));
  hidden(new Option('--ssh <mode>', 'ssh mode for remote connections'));
  hidden(new Option('--volumepath <path>', 'path of the volume directory'));
  hidden(new Option('--imagestore <path>', 'path of the image store'));
  hidden(new Option('--db-backend <backend>', 'database backend'));
  hidden(new Option('--noout', 'do not print to stdout'));
  hidden(new Option('-r, --remote', 'access a remote tspod/podman service'));
  hidden(new Option('--syslog', 'log to syslog as well'));
}
