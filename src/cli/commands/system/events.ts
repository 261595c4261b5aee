import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import type { EventRecord } from '../../../engine/eventTypes.js';

interface Options {
  filter?: (string | true)[] | true;
  format?: string;
  since?: string;
  until?: string;
  stream?: string | boolean;
  trunc?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Monitor tspod events.',
  configure(cmd: Command) {
    cmd
      // The value is optional so that a bare `-f` just follows, as in `tail -f`.
      .option('-f, --filter [filter]', 'filter output (key=value)', (v: string, prev: (string | true)[] = []) => [...prev, v])
      .option('--format <format>', 'format the output using a Go template or json')
      .option('--since <time>', 'show all events created since timestamp')
      .option('--until <time>', 'show all events created until timestamp')
      .option('--stream [bool]', 'stream events and do not exit when returning the last known event', true)
      .option('--no-trunc', 'do not truncate the output');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new InvalidArgumentError('`tspod events` takes no arguments');
    const { parseUntilTimestamp } = await import('../../../util/untilTimestamp.js');
    const now = new Date();
    const filters = (Array.isArray(opts.filter) ? opts.filter : []).filter((f): f is string => typeof f === 'string');
    const stream = !(opts.stream === false || opts.stream === 'false');
    const sinceNano = opts.since !== undefined ? parseUntilTimestamp(opts.since, now) : undefined;
    const untilNano = opts.until !== undefined ? parseUntilTimestamp(opts.until, now) : undefined;
    const format = opts.format;
    const json = format === 'json' || format === '{{json .}}';
    let template: { execute(v: unknown): string } | undefined;
    if (format !== undefined && !json) {
      const { compileTemplate } = await import('../../format/gotemplate.js');
      template = compileTemplate(format.endsWith('\n') ? format : `${format}\n`);
    }
    let render: (e: EventRecord) => string;
    if (json) {
      render = (e) => `${JSON.stringify(jsonEvent(e))}\n`;
    } else if (template) {
      const t = template;
      render = (e) => t.execute(templateEvent(e));
    } else {
      render = (e) => `${defaultLine(e)}\n`;
    }
    const engine = await ctx.engine();
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await engine.system.events({ stream: stream, sinceNano, untilNano, filters }, (e) => ctx.out(render(e)), abort.signal);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
});

/** Go's time.Time.String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC". */
export function goTimeString(nano: string): string {
  const ns = BigInt(nano);
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

function rfc3339Nano(nano: string): string {
  const ns = BigInt(nano);
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

function defaultLine(e: EventRecord): string {
  const head = `${goTimeString(e.TimeNano)} ${e.Type} ${e.Status}`;
  switch (e.Type) {
    case 'container':
    case 'pod': {
      const attrs = [`image=${e.Image}`, `name=${e.Name}`];
      for (const [k, v] of Object.entries(e.Attributes ?? {})) attrs.push(`${k}=${v}`);
      return `${head} ${e.ID} (${attrs.join(', ')})`;
    }
    case 'image':
      return `${head} ${e.ID} ${e.Name}`;
    case 'volume':
    case 'network':
    case 'secret':
      return `${head} ${e.Name || e.ID}`;
    default:
      return head;
  }
}

function jsonEvent(e: EventRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.ContainerExitCode !== undefined) out.ContainerExitCode = e.ContainerExitCode;
  if (e.ID) out.ID = e.ID;
  if (e.Image) out.Image = e.Image;
  if (e.Name) out.Name = e.Name;
  out.Status = e.Status;
  out.Time = rfc3339Nano(e.TimeNano);
  out.Type = e.Type;
  out.Attributes = e.Type === 'container' || e.Type === 'pod' ? (e.Attributes ?? {}) : (e.Attributes ?? null);
  return out;
}

function templateEvent(e: EventRecord): Record<string, unknown> {
  return {
    ID: e.ID,
    Name: e.Name,
    Image: e.Image,
    Type: e.Type,
    Status: e.Status,
    Time: goTimeString(e.TimeNano),
    TimeNano: Number(e.TimeNano),
    ContainerExitCode: e.ContainerExitCode ?? 0,
    Attributes: e.Attributes ?? {},
  };
}
