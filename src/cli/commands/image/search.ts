import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { formatReport, isJsonFormat, printJson, type ReportColumn } from '../../format/report.js';
import type { ImageSearchResult } from '../../../engine/types.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import { authFileFromEnv, tlsVerifyValue } from '../system/login.js';

interface Options {
  filter?: string[];
  format?: string;
  limit?: number;
  trunc?: boolean;
  compatible?: boolean;
  authfile?: string;
  tlsVerify?: boolean;
  certDir?: string;
  creds?: string;
  listTags?: boolean;
}

const DESCRIPTION_WIDTH = 44;

const strayArgs: string[] = [];

const ALL_COLUMNS: ReportColumn[] = [
  { header: 'INDEX', field: 'Index' },
  { header: 'NAME', field: 'Name' },
  { header: 'DESCRIPTION', field: 'Description' },
  { header: 'STARS', field: 'Stars' },
  { header: 'OFFICIAL', field: 'Official' },
  { header: 'AUTOMATED', field: 'Automated' },
  { header: 'TAG', field: 'Tag' },
];

export default defineCommand<Options>({
  usage: '[options] TERM',
  description:
    'Looks for images in the registry named in TERM (REGISTRY/NAME), or in every unqualified-search registry of registries.conf.\n\nRegistries without a search API are searched through their catalog, by substring.',
  examples: [
    'tspod search --limit 5 --filter=is-official nginx',
    'tspod search quay.io/  # every repository the catalog lists',
    'tspod search --list-tags registry.example.com/team/app',
    'tspod search --format "table {{.Index}} {{.Name}}" registry.example.com/app',
  ],
  configure(cmd: Command) {
    cmd
      .argument('[term]')
      .option('-f, --filter <filter>', 'keep results matching stars=N, is-official or is-automated (repeatable)', collect)
      .option('--format <format>', 'change the output format to JSON or a Go template')
      .option('--limit <n>', 'limit the number of results per registry (default 25)', parseLimit)
      .option('--no-trunc', 'do not truncate the output')
      .option('--compatible', 'add the STARS, OFFICIAL and AUTOMATED columns, as Docker shows them')
      .option('--authfile <path>', 'path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)')
      .option('--tls-verify [bool]', 'use HTTPS and check the registry certificate (default: unless registries.conf marks it insecure)', (v: string) => tlsVerifyValue(v, strayArgs))
      .option('--cert-dir <path>', 'directory with the CA (*.crt) and client certificates for the registry')
      .option('--creds <user:password>', 'credentials (USERNAME:PASSWORD) to use for the registry')
      .option('--list-tags', 'list the tags of the repository given as TERM');
  },
  async run(ctx, parsedArgs, opts) {
    const args = [...strayArgs, ...parsedArgs];
    if (args.length !== 1) throw new InvalidArgumentError(`accepts 1 arg(s), received ${args.length}`);
    // Podman splits comma lists in --filter.
    const filters = (opts.filter ?? []).flatMap((f) => f.split(',')).filter((f) => f !== '');
    if (opts.listTags && filters.length > 0) throw new InvalidArgumentError('filters do not apply to --list-tags: drop --filter');
    const authFile = opts.authfile ?? authFileFromEnv();
    if (authFile !== undefined && !existsSync(authFile)) throw new TspodError(`auth file ${authFile} does not exist: check --authfile or REGISTRY_AUTH_FILE`);

    const engine = await ctx.engine();
    const results = await engine.images.search(args[0]!, {
      filters,
      limit: opts.limit,
      listTags: opts.listTags,
      tlsVerify: opts.tlsVerify,
      certDir: opts.certDir,
      authFile,
      credentials: opts.creds !== undefined ? parseCreds(opts.creds) : undefined,
    });
    if (results.length === 0) return;

    const format = opts.format ?? '';
    const json = isJsonFormat(format);
    const rows = results.map((r) => ({ ...r, Description: json || opts.trunc === false ? r.Description : truncate(r.Description) }));
    if (opts.listTags) {
      if (json) return void ctx.out(printJson(groupTags(rows)));
      ctx.out(formatReport(rows, { columns: [column('Name'), column('Tag')] }));
      return;
    }
    if (json) return void ctx.out(printJson(rows));
    if (format !== '') {
      ctx.out(formatReport(rows, { format, columns: ALL_COLUMNS, name: 'search' }));
      return;
    }
    const columns = [column('Name'), column('Description'), ...(opts.compatible ? [column('Stars'), column('Official'), column('Automated')] : [])];
    ctx.out(formatReport(rows, { columns }));
  },
});

function column(field: keyof ImageSearchResult): ReportColumn {
  return ALL_COLUMNS.find((c) => c.field === field)!;
}

function truncate(description: string): string {
  return description.length > DESCRIPTION_WIDTH ? `${description.slice(0, DESCRIPTION_WIDTH).trim()}...` : description;
}

/** --list-tags --format json: one entry per repository with its tags. */
function groupTags(rows: ImageSearchResult[]): Array<{ Name: string; Tags: string[] }> {
  const byName = new Map<string, string[]>();
  for (const row of rows) {
    const tags = byName.get(row.Name) ?? [];
    tags.push(row.Tag);
    byName.set(row.Name, tags);
  }
  return [...byName].map(([Name, Tags]) => ({ Name, Tags }));
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`invalid --limit "${value}": give a number of results`);
  return Number(value);
}

function parseCreds(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  const username = colon < 0 ? value : value.slice(0, colon);
  if (username === '' || colon < 0) throw new InvalidArgumentError('--creds needs USERNAME:PASSWORD');
  return { username, password: value.slice(colon + 1) };
}
