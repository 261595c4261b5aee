import type { CommandSpec } from './command.js';

export interface CommandEntry {
  /** Every way to call it: `image ls`, `images`; the first is canonical. */
  paths: string[];
  summary: string;
  load: () => Promise<{ default: CommandSpec<any> }>;
}

export const GROUPS: Record<string, string> = {
  image: 'Manage images',
  system: 'Manage tspod',
};

/** Every command; modules load only when their command runs. */
export const COMMANDS: CommandEntry[] = [
  { paths: ['version'], summary: 'Display the tspod version information', load: () => import('./commands/system/version.js') },
  { paths: ['info', 'system info'], summary: 'Display tspod system information', load: () => import('./commands/system/info.js') },
  { paths: ['image ls', 'image list', 'images'], summary: 'List images in local storage', load: () => import('./commands/image/list.js') },
  { paths: ['image load', 'load'], summary: 'Load image(s) from a tar archive', load: () => import('./commands/image/load.js') },
  { paths: ['image save', 'save'], summary: 'Save image(s) to an archive', load: () => import('./commands/image/save.js') },
  { paths: ['image import', 'import'], summary: 'Import a tarball to create a filesystem image', load: () => import('./commands/image/import.js') },
  { paths: ['image inspect'], summary: 'Display the configuration of an image', load: () => import('./commands/image/inspect.js') },
  { paths: ['inspect'], summary: 'Display the configuration of object denoted by ID', load: () => import('./commands/image/inspect.js') },
  { paths: ['image history', 'history'], summary: 'Show history of a specified image', load: () => import('./commands/image/history.js') },
  { paths: ['image exists'], summary: 'Check if an image exists in local storage', load: () => import('./commands/image/exists.js') },
  { paths: ['image tag', 'tag'], summary: 'Add an additional name to a local image', load: () => import('./commands/image/tag.js') },
  { paths: ['image untag', 'untag'], summary: 'Remove a name from a local image', load: () => import('./commands/image/untag.js') },
  { paths: ['image rm', 'image remove', 'rmi'], summary: 'Remove one or more images from local storage', load: () => import('./commands/image/rm.js') },
  { paths: ['image prune'], summary: 'Remove unused images', load: () => import('./commands/image/prune.js') },
  { paths: ['image tree'], summary: 'Print layer hierarchy of an image in a tree format', load: () => import('./commands/image/tree.js') },
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
