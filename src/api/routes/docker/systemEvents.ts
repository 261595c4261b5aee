/**
 * `GET /events`: the event journal as Docker's newline-delimited JSON. Without
 * `since` only events from now on are sent; with `until` the stream ends then.
 * It follows the journal until the client goes away.
 */
import type { ApiRouter } from '../../router.js';
import { queryFilters, type ApiContext } from '../../http.js';
import { dockerEventLine, eventFilters, eventTime } from '../../compat/system.js';

export function register(router: ApiRouter): void {
  router.get('/events', events);
}

async function events(ctx: ApiContext): Promise<void> {
  const { query, res } = ctx;
  const now = BigInt(Date.now()) * 1_000_000n;
  const since = query.get('since');
  const until = query.get('until');
  const sinceNano = since ? eventTime('since', since) : now;
  const untilNano = until ? eventTime('until', until) : undefined;
  const filters = eventFilters(queryFilters(ctx.query));
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  await ctx.engine.system.events(
    { stream: untilNano === undefined || untilNano > now, sinceNano, untilNano, filters },
    (e) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${dockerEventLine(e)}\n`);
    },
    abort.signal,
  );
  if (!res.writableEnded) res.end();
}
