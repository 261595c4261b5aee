// Kept apart from globals.ts so the entry point can find the command word
// without loading the flag parser.

/** Name and arity of each global flag, used to find the command word in argv. */
export const GLOBAL_VALUE_FLAGS = new Set([
  '--root',
  '--runroot',
  '--storage-driver',
  '--storage-opt',
  '--log-level',
  '--runtime',
  '--cgroup-manager',
  '--url',
  '--connection',
  '-c',
  '--events-backend',
  '--tmpdir',
  '--network-config-dir',
  '--network-cmd-path',
  '--conmon',
  '--runtime-flag',
  '--hooks-dir',
  '--identity',
  '--module',
  '--ssh',
  '--volumepath',
  '--imagestore',
  '--db-backend',
]);

/** `tspod compose -f FILE -p NAME up`: the compose flags that take a value before the verb. */
export const COMPOSE_VALUE_FLAGS = new Set(['-f', '--file', '-p', '--project-name', '--profile', '--env-file', '--project-directory']);
