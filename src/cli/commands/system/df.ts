import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printRows } from '../../output.js';
import { formatReport } from '../../format/report.js';
import { humanSizeWithPrecision, timeAgo } from '../../../util/units.js';

// podman's df sizes are go-units HumanSize: 4 significant digits, no space ("2.027MB").
const humanSize = (bytes: number): string => humanSizeWithPrecision(bytes, 4);
import type { SystemDfReport } from '../../../engine/types.js';

export default defineCommand<{ verbose?: boolean; format?: string }>({
  usage: '[options]',
  description: 'Show tspod disk usage: images, containers and local volumes.',
  configure(cmd: Command) {
    cmd.option('-v, --verbose', 'show detailed information on disk usage').option('--format <format>', 'pretty-print output using a Go template or json');
  },
  async run(ctx, _args, opts) {
    const report = await (await ctx.engine()).system.df();
    if (opts.verbose) {
      if (opts.format) throw new (await import('../../../util/errors.js')).InvalidArgumentError('cannot combine --format and --verbose flags');
      ctx.out(verbose(report));
      return 0;
    }
    const rows = summaryRows(report);
    printRows(ctx, rows, {
      format: opts.format,
      columns: [
        { header: 'TYPE', field: 'Type' },
        { header: 'TOTAL', field: 'Total' },
        { header: 'ACTIVE', field: 'Active' },
        { header: 'SIZE', field: 'Size' },
        { header: 'RECLAIMABLE', field: 'Reclaimable' },
      ],
      json: rows,
    });
    return 0;
  },
});

function reclaimable(bytes: number, total: number): string {
  const percent = total > 0 ? Math.round((bytes / total) * 100) : 0;
  return `${humanSize(bytes)} (${percent}%)`;
}

function summaryRows(r: SystemDfReport): Array<Record<string, string | number>> {
  const containersSize = r.containers.reduce((n, c) => n + c.size, 0);
  const stoppedSize = r.containers.filter((c) => !c.running).reduce((n, c) => n + c.size, 0);
  const volumesSize = r.volumes.reduce((n, v) => n + v.size, 0);
  const unusedVolumes = r.volumes.filter((v) => v.links === 0).reduce((n, v) => n + v.size, 0);
  return [
    { Type: 'Images', Total: r.images.length, Active: r.images.filter((i) => i.containers > 0).length, Size: humanSize(r.imagesSize), Reclaimable: reclaimable(r.imagesReclaimable, r.imagesSize) },
    { Type: 'Containers', Total: r.containers.length, Active: r.containers.filter((c) => c.running).length, Size: humanSize(containersSize), Reclaimable: reclaimable(stoppedSize, containersSize) },
    { Type: 'Local Volumes', Total: r.volumes.length, Active: r.volumes.filter((v) => v.links > 0).length, Size: humanSize(volumesSize), Reclaimable: reclaimable(unusedVolumes, volumesSize) },
  ];
}

function verbose(r: SystemDfReport): string {
  const images = r.images.map((i) => ({
    Repository: i.repository,
    Tag: i.tag,
    ImageID: i.id.slice(0, 12),
    Created: timeAgo(i.created * 1000).replace(/ ago$/, ''),
    Size: humanSize(i.size),
    SharedSize: humanSize(i.sharedSize),
    UniqueSize: humanSize(i.uniqueSize),
    Containers: i.containers,
  }));
  const containers = r.containers.map((c) => ({
    ContainerID: c.id.slice(0, 12),
    Image: c.image.slice(0, 12),
    Command: c.command,
    LocalVolumes: c.localVolumes,
    Size: humanSize(c.size),
    Created: timeAgo(c.created * 1000).replace(/ ago$/, ''),
    Status: c.status,
    Names: c.names,
  }));
  const volumes = r.volumes.map((v) => ({ VolumeName: v.name, Links: v.links, Size: humanSize(v.size) }));
  return [
    'Images space usage:\n\n',
    formatReport(images, {
      columns: [
        { header: 'REPOSITORY', field: 'Repository' },
        { header: 'TAG', field: 'Tag' },
        { header: 'IMAGE ID', field: 'ImageID' },
        { header: 'CREATED', field: 'Created' },
        { header: 'SIZE', field: 'Size' },
        { header: 'SHARED SIZE', field: 'SharedSize' },
        { header: 'UNIQUE SIZE', field: 'UniqueSize' },
        { header: 'CONTAINERS', field: 'Containers' },
      ],
    }),
    '\nContainers space usage:\n\n',
    formatReport(containers, {
      columns: [
        { header: 'CONTAINER ID', field: 'ContainerID' },
        { header: 'IMAGE', field: 'Image' },
        { header: 'COMMAND', field: 'Command' },
        { header: 'LOCAL VOLUMES', field: 'LocalVolumes' },
        { header: 'SIZE', field: 'Size' },
        { header: 'CREATED', field: 'Created' },
        { header: 'STATUS', field: 'Status' },
        { header: 'NAMES', field: 'Names' },
      ],
    }),
    '\nLocal Volumes space usage:\n\n',
    formatReport(volumes, {
      columns: [
        { header: 'VOLUME NAME', field: 'VolumeName' },
        { header: 'LINKS', field: 'Links' },
        { header: 'SIZE', field: 'Size' },
      ],
    }),
  ].join('');
}
