// Kept apart from globals.ts so the entry point can find the command word,
// and print the root help, without loading the flag parser.

export interface GlobalFlag {
  /** commander's flag syntax: `-c, --connection <name>`. */
  flags: string;
  description: string;
  /** Repeatable: each use adds a value. */
  repeatable?: boolean;
  choices?: string[];
}

/** The flags every command accepts, in the order `tspod --help` lists them. */
export const GLOBAL_FLAGS: GlobalFlag[] = [
  { flags: '--cgroup-manager <manager>', description: 'cgroup manager (cgroupfs, systemd)' },
  { flags: '--conmon <path>', description: 'path of the conmon binary' },
  { flags: '-c, --connection <name>', description: 'connection to use for remote mode' },
  { flags: '--db-backend <backend>', description: 'database backend' },
  { flags: '--events-backend <backend>', description: 'events backend (file, journald, none)' },
  { flags: '--hooks-dir <path>', description: 'OCI hooks directory', repeatable: true },
  { flags: '--identity <path>', description: 'ssh identity for remote connections' },
  { flags: '--imagestore <path>', description: 'path of the image store' },
  {
    flags: '--log-level <level>',
    description: 'log messages at and above this level',
    choices: ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'],
  },
  { flags: '--module <path>', description: 'load a containers.conf module' },
  { flags: '--network-cmd-path <path>', description: 'path to the rootless network program' },
  { flags: '--network-config-dir <path>', description: 'path of the network config directory' },
  { flags: '--noout', description: 'do not print to stdout' },
  { flags: '-r, --remote', description: 'access a remote tspod/podman service' },
  { flags: '--root <path>', description: 'path to the graph root directory' },
  { flags: '--runroot <path>', description: 'path to the run root directory' },
  { flags: '--runtime <path>', description: 'OCI runtime to use' },
  { flags: '--runtime-flag <flag>', description: 'flag passed to the OCI runtime', repeatable: true },
  { flags: '--ssh <mode>', description: 'ssh mode for remote connections' },
  { flags: '--storage-driver <driver>', description: 'storage driver (overlay, vfs)' },
  { flags: '--storage-opt <opt>', description: 'storage driver option', repeatable: true },
  { flags: '--syslog', description: 'log to syslog as well' },
  { flags: '--tmpdir <path>', description: 'path to the tmp directory' },
  { flags: '--url <url>', description: 'URL of a tspod/podman service' },
  { flags: '--volumepath <path>', description: 'path of the volume directory' },
];

/** The global flags that take a value, used to find the command word in argv. */
export const GLOBAL_VALUE_FLAGS = new Set(
  GLOBAL_FLAGS.filter((f) => f.flags.includes('<')).flatMap((f) => f.flags.split(' <')[0]!.split(', ')),
);

/** `tspod compose -f FILE -p NAME up`: the compose flags that take a value before the verb. */
export const COMPOSE_VALUE_FLAGS = new Set(['-f', '--file', '-p', '--project-name', '--profile', '--env-file', '--project-directory']);
