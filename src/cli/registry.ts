import type { CommandSpec } from './command.js';

export interface CommandEntry {
  /** Every way to call it: `image ls`, `images`; the first is canonical. */
  paths: string[];
  summary: string;
  load: () => Promise<{ default: CommandSpec<any> }>;
}

export const GROUPS: Record<string, string> = {
  container: 'Manage containers',
  healthcheck: 'Manage health checks on containers',
  image: 'Manage images',
  manifest: 'Manipulate manifest lists and image indexes',
  network: 'Manage networks',
  pod: 'Manage pods',
  system: 'Manage tspod',
  volume: 'Manage volumes',
  secret: 'Manage secrets',
};

/** Every command; modules load only when their command runs. */
export const COMMANDS: CommandEntry[] = [
  { paths: ['version'], summary: 'Display the tspod version information', load: () => import('./commands/system/version.js') },
  { paths: ['info', 'system info'], summary: 'Display tspod system information', load: () => import('./commands/system/info.js') },
  { paths: ['image ls', 'image list', 'images'], summary: 'List images in local storage', load: () => import('./commands/image/list.js') },
  { paths: ['image load', 'load'], summary: 'Load image(s) from a tar archive', load: () => import('./commands/image/load.js') },
  { paths: ['image save', 'save'], summary: 'Save image(s) to an archive', load: () => import('./commands/image/save.js') },
  { paths: ['image pull', 'pull'], summary: 'Pull an image from a registry', load: () => import('./commands/image/pull.js') },
  { paths: ['image push', 'push'], summary: 'Push an image to a specified destination', load: () => import('./commands/image/push.js') },
  { paths: ['image import', 'import'], summary: 'Import a tarball to create a filesystem image', load: () => import('./commands/image/import.js') },
  { paths: ['image inspect'], summary: 'Display the configuration of an image', load: () => import('./commands/image/inspect.js') },
  { paths: ['inspect'], summary: 'Display the configuration of object denoted by ID', load: () => import('./commands/container/inspectAny.js') },
  { paths: ['image history', 'history'], summary: 'Show history of a specified image', load: () => import('./commands/image/history.js') },
  { paths: ['image exists'], summary: 'Check if an image exists in local storage', load: () => import('./commands/image/exists.js') },
  { paths: ['image tag', 'tag'], summary: 'Add an additional name to a local image', load: () => import('./commands/image/tag.js') },
  { paths: ['image untag', 'untag'], summary: 'Remove a name from a local image', load: () => import('./commands/image/untag.js') },
  { paths: ['image rm', 'image remove', 'rmi'], summary: 'Remove one or more images from local storage', load: () => import('./commands/image/rm.js') },
  { paths: ['image prune'], summary: 'Remove unused images', load: () => import('./commands/image/prune.js') },
  { paths: ['image search', 'search'], summary: 'Search registry for image', load: () => import('./commands/image/search.js') },
  { paths: ['login'], summary: 'Login to a container registry', load: () => import('./commands/system/login.js') },
  { paths: ['logout'], summary: 'Logout of a container registry', load: () => import('./commands/system/logout.js') },
  { paths: ['image tree'], summary: 'Print layer hierarchy of an image in a tree format', load: () => import('./commands/image/tree.js') },
  { paths: ['manifest create'], summary: 'Create manifest list or image index', load: () => import('./commands/manifest/create.js') },
  { paths: ['manifest add'], summary: 'Add images to a manifest list or image index', load: () => import('./commands/manifest/add.js') },
  { paths: ['manifest annotate'], summary: 'Add or update information about an entry in a manifest list or image index', load: () => import('./commands/manifest/annotate.js') },
  { paths: ['manifest inspect'], summary: 'Display the contents of a manifest list or image index', load: () => import('./commands/manifest/inspect.js') },
  { paths: ['manifest push'], summary: 'Push a manifest list or image index to a registry', load: () => import('./commands/manifest/push.js') },
  { paths: ['manifest remove'], summary: 'Remove an entry from a manifest list or image index', load: () => import('./commands/manifest/remove.js') },
  { paths: ['manifest rm'], summary: 'Remove manifest list or image index from local storage', load: () => import('./commands/manifest/rm.js') },
  { paths: ['manifest exists'], summary: 'Check if a manifest list exists in local storage', load: () => import('./commands/manifest/exists.js') },
  { paths: ['container create', 'create'], summary: 'Create but do not start a container', load: () => import('./commands/container/create.js') },
  { paths: ['container run', 'run'], summary: 'Run a command in a new container', load: () => import('./commands/container/run.js') },
  { paths: ['container start', 'start'], summary: 'Start one or more containers', load: () => import('./commands/container/start.js') },
  { paths: ['container stop', 'stop'], summary: 'Stop one or more containers', load: () => import('./commands/container/stop.js') },
  { paths: ['container restart', 'restart'], summary: 'Restart one or more containers', load: () => import('./commands/container/restart.js') },
  { paths: ['container kill', 'kill'], summary: 'Kill one or more running containers with a specific signal', load: () => import('./commands/container/kill.js') },
  { paths: ['container rm', 'container remove', 'rm'], summary: 'Remove one or more containers', load: () => import('./commands/container/rm.js') },
  { paths: ['container ps', 'container ls', 'container list', 'ps'], summary: 'List containers', load: () => import('./commands/container/ps.js') },
  { paths: ['container inspect'], summary: 'Display the configuration of a container', load: () => import('./commands/container/inspect.js') },
  { paths: ['container logs', 'logs'], summary: 'Fetch the logs of one or more containers', load: () => import('./commands/container/logs.js') },
  { paths: ['container wait', 'wait'], summary: 'Block on one or more containers', load: () => import('./commands/container/wait.js') },
  { paths: ['container exec', 'exec'], summary: 'Run a process in a running container', load: () => import('./commands/container/exec.js') },
  { paths: ['container attach', 'attach'], summary: 'Attach to a running container', load: () => import('./commands/container/attach.js') },
  { paths: ['container pause', 'pause'], summary: 'Pause all the processes in one or more containers', load: () => import('./commands/container/pause.js') },
  { paths: ['container unpause', 'unpause'], summary: 'Unpause the processes in one or more containers', load: () => import('./commands/container/unpause.js') },
  { paths: ['container top', 'top'], summary: 'Display the running processes of a container', load: () => import('./commands/container/top.js') },
  { paths: ['container port', 'port'], summary: 'List port mappings or a specific mapping for the container', load: () => import('./commands/container/port.js') },
  { paths: ['container rename', 'rename'], summary: 'Rename an existing container', load: () => import('./commands/container/rename.js') },
  { paths: ['container exists'], summary: 'Check if a container exists in local storage', load: () => import('./commands/container/exists.js') },
  { paths: ['container prune'], summary: 'Remove all non running containers', load: () => import('./commands/container/prune.js') },
  { paths: ['container init', 'init'], summary: 'Initialize one or more containers', load: () => import('./commands/container/init.js') },
  { paths: ['network create'], summary: 'Create networks for containers and pods', load: () => import('./commands/network/create.js') },
  { paths: ['network ls', 'network list'], summary: 'List networks', load: () => import('./commands/network/ls.js') },
  { paths: ['network inspect'], summary: 'Display the network configuration for one or more networks', load: () => import('./commands/network/inspect.js') },
  { paths: ['network rm', 'network remove'], summary: 'Remove networks', load: () => import('./commands/network/rm.js') },
  { paths: ['network prune'], summary: 'Remove unused networks', load: () => import('./commands/network/prune.js') },
  { paths: ['network exists'], summary: 'Check if a network exists', load: () => import('./commands/network/exists.js') },
  { paths: ['network connect'], summary: 'Add a container to a network', load: () => import('./commands/network/connect.js') },
  { paths: ['network disconnect'], summary: 'Remove a container from a network', load: () => import('./commands/network/disconnect.js') },
  { paths: ['network reload'], summary: 'Reload firewall rules for one or more containers', load: () => import('./commands/network/reload.js') },
  { paths: ['volume create'], summary: 'Create a new volume', load: () => import('./commands/volume/create.js') },
  { paths: ['volume ls', 'volume list'], summary: 'List volumes', load: () => import('./commands/volume/ls.js') },
  { paths: ['volume inspect'], summary: 'Display detailed information on one or more volumes', load: () => import('./commands/volume/inspect.js') },
  { paths: ['volume rm', 'volume remove'], summary: 'Remove one or more volumes', load: () => import('./commands/volume/rm.js') },
  { paths: ['volume prune'], summary: 'Remove all unused volumes', load: () => import('./commands/volume/prune.js') },
  { paths: ['volume exists'], summary: 'Check if volume exists', load: () => import('./commands/volume/exists.js') },
  { paths: ['volume export'], summary: 'Export volumes', load: () => import('./commands/volume/export.js') },
  { paths: ['volume import'], summary: 'Import a tarball contents into a volume', load: () => import('./commands/volume/import.js') },
  { paths: ['secret create'], summary: 'Create a new secret', load: () => import('./commands/secret/create.js') },
  { paths: ['secret ls', 'secret list'], summary: 'List secrets', load: () => import('./commands/secret/ls.js') },
  { paths: ['secret inspect'], summary: 'Inspect a secret', load: () => import('./commands/secret/inspect.js') },
  { paths: ['secret rm'], summary: 'Remove one or more secrets', load: () => import('./commands/secret/rm.js') },
  { paths: ['secret exists'], summary: 'Check if a secret exists in local storage', load: () => import('./commands/secret/exists.js') },
  { paths: ['pod create'], summary: 'Create a new empty pod', load: () => import('./commands/pod/create.js') },
  { paths: ['pod start'], summary: 'Start one or more pods', load: () => import('./commands/pod/start.js') },
  { paths: ['pod stop'], summary: 'Stop one or more pods', load: () => import('./commands/pod/stop.js') },
  { paths: ['pod restart'], summary: 'Restart one or more pods', load: () => import('./commands/pod/restart.js') },
  { paths: ['pod kill'], summary: 'Send the specified signal or SIGKILL to containers in pod', load: () => import('./commands/pod/kill.js') },
  { paths: ['pod pause'], summary: 'Pause one or more pods', load: () => import('./commands/pod/pause.js') },
  { paths: ['pod unpause'], summary: 'Unpause one or more pods', load: () => import('./commands/pod/unpause.js') },
  { paths: ['pod rm', 'pod remove'], summary: 'Remove one or more pods', load: () => import('./commands/pod/rm.js') },
  { paths: ['pod ps', 'pod ls', 'pod list'], summary: 'List pods', load: () => import('./commands/pod/ps.js') },
  { paths: ['pod inspect'], summary: 'Displays a pod configuration', load: () => import('./commands/pod/inspect.js') },
  { paths: ['pod top'], summary: 'Display the running processes of containers in a pod', load: () => import('./commands/pod/top.js') },
  { paths: ['pod stats'], summary: 'Display a live stream of resource usage statistics for the containers in one or more pods', load: () => import('./commands/pod/stats.js') },
  { paths: ['pod logs'], summary: 'Fetch logs for pod with one or more containers', load: () => import('./commands/pod/logs.js') },
  { paths: ['pod exists'], summary: 'Check if a pod exists in local storage', load: () => import('./commands/pod/exists.js') },
  { paths: ['pod prune'], summary: 'Remove all stopped pods and their containers', load: () => import('./commands/pod/prune.js') },
  { paths: ['container cleanup'], summary: 'Clean up network and mountpoints of one or more containers', load: () => import('./commands/container/cleanup.js') },
  { paths: ['healthcheck run'], summary: 'Run the health check of a container', load: () => import('./commands/healthcheck/run.js') },
];

export function findCommand(words: string[]): { entry: CommandEntry; consumed: number } | undefined {
  for (const consumed of [2, 1]) {
    if (words.length < consumed) continue;
    const path = words.slice(0, consumed).join(' ');
    const entry = COMMANDS.find((c) => c.paths.includes(path));
    if (entry) return { entry, consumed };
  }
  return undefined;
}
