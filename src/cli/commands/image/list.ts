import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printRows, collect } from '../../output.js';
import type { ImageSummary } from '../../../engine/types.js';
import { humanSize, isoSeconds, timeAgo } from '../../../util/units.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  digests?: boolean;
  filter?: string[];
  format?: string;
  noheading?: boolean;
  trunc?: boolean;
  quiet?: boolean;
  sort?: string;
}

const SORT_KEYS = ['created', 'id', 'repository', 'size', 'tag'];

export default defineCommand<Options>({
  usage: '[options] [IMAGE]',
  description: 'Lists images previously pulled to the system or created on the system.',
  configure(cmd: Command) {
    cmd
      .argument('[image]')
      .option('-a, --all', 'show all images (default hides intermediate images)')
      .option('--digests', 'show digests')
      .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
      .option('--format <format>', 'change the output format to JSON or a Go template')
      .option('-n, --noheading', 'do not print column headings')
      .option('--no-trunc', 'do not truncate output')
      .option('-q, --quiet', 'display only image IDs')
      .option('--sort <key>', `sort by ${SORT_KEYS.join(', ')}`, 'created');
  },
  async run(ctx, args, opts) {
    if (opts.sort && !SORT_KEYS.includes(opts.sort)) {
      throw new InvalidArgumentError(`invalid sort key "${opts.sort}": use one of ${SORT_KEYS.join(', ')}`);
    }
    const filters = [...(opts.filter ?? [])];
    if (args[0]) filters.push(`reference=${args[0]}`);
    const engine = await ctx.engine();
    const images = await engine.images.list({ all: opts.all, filters });
    const noTrunc = opts.trunc === false;
    if (opts.format === 'json') {
      printRows(ctx, [], { format: 'json', columns: [], json: images.map(podmanJson) });
      return;
    }
    const rows = sortRows(images.flatMap((image) => imageRows(image, noTrunc)), opts.sort ?? 'created');
    if (opts.quiet) {
      const seen = new Set<string>();
      for (const row of rows) if (!seen.has(row.ID)) seen.add(row.ID) && ctx.out(`${row.ID}\n`);
      return;
    }
    const columns = [
      { header: 'REPOSITORY', field: 'Repository' },
      { header: 'TAG', field: 'Tag' },
      ...(opts.digests ? [{ header: 'DIGEST', field: 'Digest' }] : []),
      { header: 'IMAGE ID', field: 'ID' },
      { header: 'CREATED', field: 'CreatedSince' },
      { header: 'SIZE', field: 'Size' },
    ];
    printRows(ctx, rows, { format: opts.format, noHeading: opts.noheading, columns });
  },
});

interface ImageRow {
  ID: string;
  Id: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Created: number;
  Size: string;
  VirtualSize: string;
  SharedSize: string;
  RawSize: number;
  ReadOnly: boolean;
  IsReadOnly: boolean;
  Containers: number;
  Labels: Record<string, string>;
  Dangling: boolean;
  History: string;
  Names: string[];
  RepoTags: string[];
  RepoDigests: string[];
  ParentId: string;
}

function imageRows(image: ImageSummary, noTrunc: boolean): ImageRow[] {
  // A name by digest only (repo@sha256:...) shows as its repository with tag <none>, as Podman shows it.
  const byDigest = [...new Set(image.Names.filter((n) => n.includes('@')).map((n) => n.slice(0, n.indexOf('@'))))];
  const names = image.RepoTags.length > 0 ? image.RepoTags : byDigest.length > 0 ? byDigest : ['<none>:<none>'];
  return names.map((name) => {
    const slash = name.lastIndexOf('/');
    const colon = name.lastIndexOf(':');
    const hasTag = colon > slash;
    const size = humanSize(image.Size);
    return {
      ID: noTrunc ? `sha256:${image.Id}` : image.Id.slice(0, 12),
      Id: image.Id,
      Repository: hasTag ? name.slice(0, colon) : name,
      Tag: hasTag ? name.slice(colon + 1) : '<none>',
      Digest: image.Digest,
      CreatedSince: timeAgo(new Date(image.Created * 1000)),
      CreatedAt: new Date(image.Created * 1000).toString(),
      Created: image.Created,
      Size: size,
      VirtualSize: size,
      SharedSize: humanSize(image.SharedSize),
      RawSize: image.Size,
      ReadOnly: image.ReadOnly,
      IsReadOnly: image.ReadOnly,
      Containers: image.Containers,
      Labels: image.Labels,
      Dangling: image.Dangling,
      History: image.History.join(', '),
      Names: image.Names,
      RepoTags: image.RepoTags,
      RepoDigests: image.RepoDigests,
      ParentId: image.ParentId,
    };
  });
}

function sortRows(rows: ImageRow[], key: string): ImageRow[] {
  const by: Record<string, (a: ImageRow, b: ImageRow) => number> = {
    created: (a, b) => b.Created - a.Created,
    id: (a, b) => a.Id.localeCompare(b.Id),
    repository: (a, b) => a.Repository.localeCompare(b.Repository) || a.Tag.localeCompare(b.Tag),
    size: (a, b) => a.RawSize - b.RawSize,
    tag: (a, b) => a.Tag.localeCompare(b.Tag),
  };
  return [...rows].sort(by[key]);
}

/** podman 4.3's `images --format json` object, keys in its order (RepoTags is null there). */
function podmanJson(i: ImageSummary): Record<string, unknown> {
  return {
    Id: i.Id,
    ParentId: i.ParentId,
    RepoTags: null,
    RepoDigests: i.RepoDigests,
    Size: i.Size,
    SharedSize: i.SharedSize,
    VirtualSize: i.VirtualSize,
    Labels: Object.keys(i.Labels).length > 0 ? i.Labels : null,
    Containers: i.Containers,
    Names: i.Names.length > 0 ? i.Names : null,
    Digest: i.Digest,
    History: i.History.length > 0 ? i.History : null,
    Created: i.Created,
    CreatedAt: isoSeconds(i.Created * 1000),
  };
}
